using Microsoft.AspNetCore.Http;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Sessions;

namespace Vouch.Server.Oidc;

/// <summary>
/// <c>POST /api/v1/token</c>: a fresh ID token for the session's user, recorded in the audit log with its jti,
/// audience and key (never the token) in the same request.
/// </summary>
public sealed class TokenEndpoint(IdTokenService tokens, AuditLog audit)
{
    public async Task<IResult> IssueAsync(AuthenticatedSession session, string? audience, HttpContext context)
    {
        var issued = tokens.Issue(new IdTokenRequest { Email = session.User.Email, Domain = session.User.Domain, Audience = audience, HardwareKey = session.HardwareKey });
        if (!issued.Succeeded)
        {
            // The one refusal an administrator must act on (the email itself), so it is on the audit trail, not only in the log.
            if (issued.Problem.Code == ErrorCodes.SourceIdentityRefused)
            {
                await audit.WriteAsync(context.RequestAborted, new AuditEntry
                {
                    Type = AuditEventTypes.TokenRefused, Actor = AuditActors.User(session.User.Email), ClientAddress = context.ClientAddress(),
                    Data = new Dictionary<string, string> { ["error"] = issued.Problem.Code, ["session_id"] = session.Session.Id.ToString() },
                });
            }
            return ApiResults.Refuse(issued.Problem);
        }
        var token = issued.Value;
        await audit.WriteAsync(context.RequestAborted, new AuditEntry
        {
            Type = AuditEventTypes.TokenIssued, Actor = AuditActors.User(token.Subject), ClientAddress = context.ClientAddress(),
            Data = new Dictionary<string, string>
            {
                ["jti"] = token.Jti, ["aud"] = token.Audience, ["kid"] = token.Kid, ["session_id"] = session.Session.Id.ToString(),
            },
        });
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new TokenResponse(token.Token, token.Jti, token.ExpiresAt), ProtocolJsonContext.Default.TokenResponse);
    }
}
