using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Agent;

/// <summary>Talks to the agent: one request, one response per connection. Starts it on demand for <c>vouch login</c>.</summary>
public static class AgentClient
{
    /// <summary>Sends <paramref name="request"/>; null when no agent is listening.</summary>
    public static async Task<AgentResponse?> SendAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken = default)
    {
        // Before anything else: a directory someone else controls may hold their socket, or be swapped for one later.
        AgentDirectory.RequireSafeToConnect(paths);
        // The common "not logged in" case: no socket at all, answered without paying for a failed connect.
        if (!File.Exists(paths.AgentSocket)) return null;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(paths.AgentSocket), cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }
        // Before anything is sent (a login sends the session): the listener must be this user's own agent, not
        // a socket another user planted where the agent would be.
        var owner = PeerCredentials.UserId(socket);
        if (owner != Native.GetEffectiveUserId())
        {
            throw new CliException(ExitCodes.BadConfiguration,
                $"{paths.AgentSocket} is held by another user (uid {owner?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}), not by your vouch agent: " +
                $"nothing was sent to it; remove {paths.AgentDirectory} or set VOUCH_AGENT_SOCKET or XDG_RUNTIME_DIR to a directory of your own");
        }
        // Connected: from here on, anything but an answer is the agent failing, never "not logged in".
        string? line;
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(request, CliJsonContext.Default.AgentRequest);
            await socket.SendAsync(bytes.Append((byte)'\n').ToArray(), cancellationToken);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream);
            line = await reader.ReadLineAsync(cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw Broken(paths, $"the connection failed ({e.Message})");
        }
        if (line is null) throw Broken(paths, "it closed the connection without answering");
        try
        {
            return JsonSerializer.Deserialize(line, CliJsonContext.Default.AgentResponse) ?? throw Broken(paths, "it answered null");
        }
        catch (JsonException)
        {
            throw Broken(paths, "its answer is not the agent protocol (is another program listening on the socket?)");
        }
    }

    private static CliException Broken(CliPaths paths, string what) => new(ExitCodes.AgentFailed,
        $"the vouch agent on {paths.AgentSocket} did not answer: {what}; see its log: stop it (its PID is in {paths.AgentPidFile}) and run 'vouch agent' in a terminal");

    /// <summary>Sends <paramref name="request"/> and returns a successful answer; anything else is the matching <see cref="CliException"/>.</summary>
    public static async Task<AgentResponse> RequestAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken)
    {
        var response = await SendAsync(paths, request, cancellationToken)
            ?? throw new CliException(ExitCodes.NotLoggedIn, AgentErrors.NotLoggedInMessage);
        return response.Ok ? response : throw Refusal(response);
    }

    /// <summary>The <see cref="CliException"/> for a failed answer, with the exit code of its error (<see cref="AgentErrors.ExitCode"/>).</summary>
    public static CliException Refusal(AgentResponse response) =>
        new(AgentErrors.ExitCode(response.Error), response.Message ?? response.Error ?? "the agent refused");

    public static async Task<bool> IsRunningAsync(CliPaths paths)
    {
        try
        {
            // Any answer will do: an older agent answers an operation it does not know with bad_request.
            return await SendAsync(paths, new AgentRequest { Op = AgentOperations.Ping }) is not null;
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.AgentFailed)
        {
            // Something holds the socket and accepts connections: not a free place for a new agent.
            return true;
        }
    }

    /// <summary>Starts <c>vouch agent</c> in the background unless one answers, and waits until it does.</summary>
    public static async Task EnsureRunningAsync(CliPaths paths, CancellationToken cancellationToken)
    {
        if (await IsRunningAsync(paths)) return;
        var self = Environment.ProcessPath ?? throw new CliException(ExitCodes.Failed, "cannot find the vouch executable to start the agent");
        var start = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("agent");
        start.ArgumentList.Add("--background");
        using (Process.Start(start) ?? throw new CliException(ExitCodes.Failed, "could not start the vouch agent")) { }
        for (var i = 0; i < 100; i++)
        {
            if (await IsRunningAsync(paths)) return;
            await Task.Delay(50, cancellationToken);
        }
        throw new CliException(ExitCodes.Failed, $"the vouch agent did not start listening on {paths.AgentSocket}; run 'vouch agent' to see why");
    }
}
