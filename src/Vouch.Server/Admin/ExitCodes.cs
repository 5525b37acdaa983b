namespace Vouch.Server.Admin;

/// <summary>The exit codes of <c>vouch-server</c> commands.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and found a problem (a broken audit chain, for example).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>A setting is missing or invalid; the message names it.</summary>
    public const int BadConfiguration = 3;

    /// <summary>The database cannot be reached or opened.</summary>
    public const int DatabaseUnavailable = 4;

    /// <summary>What the command names (a user's email, a credential or invite id) does not exist.</summary>
    public const int NotFound = 5;
}
