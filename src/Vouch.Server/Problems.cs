using Microsoft.AspNetCore.Http;
using Vouch.Protocol;

namespace Vouch.Server;

/// <summary>
/// The refusals that more than one feature gives, so that a feature can say "disabled" or "locked" without
/// importing the service that owns the state.
/// </summary>
public static class Problems
{
    /// <summary>The refusal of every login, token request and enrollment of a disabled user (HTTP 403).</summary>
    public static Problem UserDisabled { get; } =
        new(ErrorCodes.UserDisabled, "your Vouch account is disabled; ask your administrator", StatusCodes.Status403Forbidden) { Reason = "user disabled" };

    /// <summary>The refusal of a locked key's login (HTTP 403): only an administrator can unlock it.</summary>
    public static Problem CredentialLocked { get; } = new(ErrorCodes.CredentialLocked,
        "this security key is locked because its signature counter went backwards, as a copied key's does; ask your administrator",
        StatusCodes.Status403Forbidden) { Reason = "credential locked" };

    /// <summary>The answer for an email no user has.</summary>
    public static Problem NoSuchUser(string email) =>
        new(ErrorCodes.NotFound, $"no user {email}", StatusCodes.Status404NotFound);
}
