using System.Text;

namespace Vouch.Cli.Agent;

/// <summary>The session the agent holds for its user: the server, the bearer token (memory only), who, and until when.</summary>
internal sealed record AgentSession(string Server, string Token, string Email, DateTimeOffset ExpiresAt)
{
    // A record prints every property; the token must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Server = {Server}, Email = {Email}, ExpiresAt = {ExpiresAt:O}");
        return true;
    }
}
