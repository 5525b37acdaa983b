using System.Collections.Concurrent;
using System.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vouch.Protocol;
using Vouch.Testing;

namespace Vouch.Cli.Tests.Agent;

/// <summary>
/// A Vouch server and STS in one small Kestrel app on 127.0.0.1: issues tokens, confirms sessions and answers
/// AssumeRoleWithWebIdentity (with the credentials <see cref="StsCredentials"/> names, held while <see cref="HoldSts"/>
/// is set), until told to refuse with a Vouch error; counts the requests on each path.
/// </summary>
internal sealed class VouchStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new();

    private VouchStandIn(WebApplication app, string url) => (_app, Url) = (app, url);

    public string Url { get; }

    /// <summary>When set, the login, token and session endpoints answer this status and error instead.</summary>
    public (int Status, string Error)? Refusal { get; set; }

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    /// <summary>The credentials STS answers with; any text, XML-escaped on the wire.</summary>
    public (string AccessKeyId, string SecretAccessKey, string SessionToken) StsCredentials { get; set; } = ("ASIASTANDIN", "stand-in-secret", "stand-in-session");

    /// <summary>When set, STS holds every request (after completing <see cref="StsHeld"/>) until this completes.</summary>
    public TaskCompletionSource? HoldSts { get; set; }

    /// <summary>Completes when STS first holds a request.</summary>
    public TaskCompletionSource StsHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<VouchStandIn> StartAsync()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new VouchStandIn(app, url);
        app.Use((context, next) =>
        {
            standIn._requests.AddOrUpdate(context.Request.Path, 1, (_, count) => count + 1);
            return next(context);
        });
        app.MapPost(ApiRoutes.Token, () => standIn.Refused() ?? Results.Json(
            new TokenResponse("eyJ.stand-in.sig", "jti-1", DateTimeOffset.UtcNow.AddMinutes(10)), ProtocolJsonContext.Default.TokenResponse));
        app.MapGet(ApiRoutes.Session, () => standIn.Refused() ?? Results.Json(
            new SessionResponse("alice@example.com", DateTimeOffset.UtcNow.AddHours(8)), ProtocolJsonContext.Default.SessionResponse));
        app.MapPost(ApiRoutes.LoginOptions, () => standIn.Refused() ?? Results.StatusCode(StatusCodes.Status501NotImplemented));
        app.MapPost("/", async () =>
        {
            if (standIn.HoldSts is { } hold)
            {
                standIn.StsHeld.TrySetResult();
                await hold.Task;
            }
            return Results.Text(standIn.AssumeRoleResponse(), "text/xml");
        });
        await app.StartAsync();
        return standIn;
    }

    private IResult? Refused() => Refusal is var (status, error)
        ? Results.Json(new ErrorResponse(error, Description(error)), ProtocolJsonContext.Default.ErrorResponse, statusCode: status)
        : null;

    /// <summary>The real server's sentence where the CLI shows it as it is (src/Vouch.Server Users/, Sessions/); else a stand-in's.</summary>
    private static string Description(string error) => error switch
    {
        ErrorCodes.UserDisabled => "your Vouch account is disabled; ask your administrator",
        ErrorCodes.SessionRevoked => "the session was revoked: run 'vouch login'",
        ErrorCodes.SessionExpired => "the session expired: run 'vouch login'",
        ErrorCodes.InvalidSession => "no valid session: run 'vouch login'",
        _ => $"refused by the stand-in ({error})",
    };

    private string AssumeRoleResponse()
    {
        var (key, secret, session) = StsCredentials;
        return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>" +
            "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/VouchDeveloper/alice@example.com</Arn><AssumedRoleId>AROA:alice</AssumedRoleId></AssumedRoleUser>" +
            $"<Credentials><SessionToken>{SecurityElement.Escape(session)}</SessionToken><SecretAccessKey>{SecurityElement.Escape(secret)}</SecretAccessKey>" +
            $"<Expiration>2099-01-01T00:00:00Z</Expiration><AccessKeyId>{SecurityElement.Escape(key)}</AccessKeyId></Credentials>" +
            "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>";
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
