using Vouch.Authenticators;
using Vouch.Authenticators.Software;
using Vouch.Cli.Authenticators;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Cli.Terminal;

namespace Vouch.Cli.Commands;

/// <summary>What every command gets from outside: the console, the environment, the paths and the connections to Vouch servers.</summary>
public sealed class CliContext(IConsole console, Func<string, string?> environment, Lazy<ServerConnections> connections)
{
    public IConsole Console => console;
    public Func<string, string?> Environment => environment;

    /// <summary>Created on first use: most runs (status, token) only talk to the agent.</summary>
    public ServerConnections Connections => connections.Value;
    public CliPaths Paths { get; } = CliPaths.From(environment);

    /// <summary>
    /// The software authenticator when <c>VOUCH_SOFTWARE_AUTHENTICATOR</c> is set, the simulated key on the socket
    /// <c>VOUCH_FIDO_DEVICE_SOCKET</c> names when that is set (either said on stderr each time), else the USB key;
    /// whichever it is, the server's relying party is checked first (<see cref="RelyingPartyCheck"/>).
    /// </summary>
    public IAuthenticator Authenticator() => new RelyingPartyCheck(Key());

    private IAuthenticator Key()
    {
        if (environment(SoftwareAuthenticator.EnvironmentVariable) is { Length: > 0 } file)
        {
            console.Errors.WriteLine($"vouch: using the SOFTWARE authenticator in {file} ({SoftwareAuthenticator.EnvironmentVariable}); for tests and demos only");
            return new SoftwareAuthenticator(Path.GetFullPath(file));
        }
        if (environment(SocketHidTransport.EnvironmentVariable) is { Length: > 0 } socket)
        {
            console.Errors.WriteLine($"vouch: using the SIMULATED security key at {socket} ({SocketHidTransport.EnvironmentVariable}); for tests only");
            // Several simulated keys are a PATH-like list, as if several were plugged in.
            return new Libfido2Authenticator(console, socket.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath).ToList());
        }
        return new Libfido2Authenticator(console);
    }
}
