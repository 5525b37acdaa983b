using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Agent;

/// <summary>
/// Talks to the agent: one request, one response per connection. Starts it on demand for <c>vouch login</c>.
/// <see cref="SendAsync"/> and the synchronous <see cref="Send"/> (the hot path, <see cref="HotPath"/>) make the same
/// checks before anything is sent and read the answer the same way.
/// </summary>
public static class AgentClient
{
    /// <summary>The longest answer the agent gives (credentials with a long session token are a few KB).</summary>
    private const int MaxAnswer = 1 << 20;

    /// <summary>Sends <paramref name="request"/>; null when no agent is listening.</summary>
    public static async Task<AgentResponse?> SendAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken = default)
    {
        using var socket = Connect(paths);
        if (socket is null) return null;
        // Connected: from here on, anything but an answer is the agent failing, never "not logged in".
        string? line;
        SocketException? unsent = null;
        try
        {
            try
            {
                await socket.SendAsync(Line(request), cancellationToken);
            }
            catch (SocketException e)
            {
                // An agent that answers before it reads (busy) may have closed already: its answer is still there to read.
                unsent = e;
            }
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream);
            line = await reader.ReadLineAsync(cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw Broken(paths, $"the connection failed ({(unsent ?? e).Message})");
        }
        if (line is null) throw Broken(paths, unsent is null ? "it closed the connection without answering" : $"the connection failed ({unsent.Message})");
        return Decode(paths, System.Text.Encoding.UTF8.GetBytes(line));
    }

    /// <summary>
    /// <see cref="SendAsync"/> with blocking calls on the calling thread: no thread pool, no socket event thread. For
    /// the one-request processes credential_process starts; waits for the agent as long as it takes (Ctrl+C ends it).
    /// </summary>
    public static AgentResponse? Send(CliPaths paths, AgentRequest request)
    {
        using var socket = Connect(paths);
        if (socket is null) return null;
        byte[] answer = new byte[16 * 1024];
        var used = 0;
        SocketException? unsent = null;
        try
        {
            try
            {
                socket.Send(Line(request));
            }
            catch (SocketException e)
            {
                // As in SendAsync: an answer written before the agent closed is still there to read.
                unsent = e;
            }
            while (true)
            {
                if (used == answer.Length)
                {
                    if (answer.Length >= MaxAnswer) throw Broken(paths, "its answer is not the agent protocol (is another program listening on the socket?)");
                    Array.Resize(ref answer, answer.Length * 2);
                }
                var read = socket.Receive(answer.AsSpan(used));
                if (read == 0) break;
                var newline = answer.AsSpan(used, read).IndexOf((byte)'\n');
                used += read;
                if (newline >= 0)
                {
                    used -= read - newline;
                    return Decode(paths, answer.AsSpan(0, used));
                }
            }
        }
        catch (SocketException e)
        {
            throw Broken(paths, $"the connection failed ({(unsent ?? e).Message})");
        }
        // Closed: a last line without its newline is still an answer (as ReadLine takes it); nothing at all is not.
        if (used == 0) throw Broken(paths, unsent is null ? "it closed the connection without answering" : $"the connection failed ({unsent.Message})");
        return Decode(paths, answer.AsSpan(0, used));
    }

    /// <summary>
    /// The connected socket, once the agent's directory is this user's own and the listener is this user's process;
    /// null when no agent is listening. Nothing has been sent yet.
    /// </summary>
    private static Socket? Connect(CliPaths paths)
    {
        // Before anything else: a directory someone else controls may hold their socket, or be swapped for one later.
        AgentDirectory.RequireSafeToConnect(paths);
        // The common "not logged in" case: no socket at all, answered without paying for a failed connect.
        if (!File.Exists(paths.AgentSocket)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // Connecting to a Unix socket completes at once (or fails): no need for an asynchronous connect.
            socket.Connect(new UnixDomainSocketEndPoint(paths.AgentSocket));
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
        // Before anything is sent (a login sends the session): the listener must be this user's own agent, not
        // a socket another user planted where the agent would be.
        var owner = PeerCredentials.UserId(socket);
        if (owner != Native.GetEffectiveUserId())
        {
            socket.Dispose();
            throw new CliException(ExitCodes.BadConfiguration,
                $"{paths.AgentSocket} is held by another user (uid {owner?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}), not by your vouch agent: " +
                $"nothing was sent to it; remove {paths.AgentDirectory} or set VOUCH_AGENT_SOCKET or XDG_RUNTIME_DIR to a directory of your own");
        }
        return socket;
    }

    /// <summary>The request as the agent reads it: one line of JSON.</summary>
    private static byte[] Line(AgentRequest request)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, CliJsonContext.Default.AgentRequest);
        Array.Resize(ref bytes, bytes.Length + 1);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static AgentResponse Decode(CliPaths paths, ReadOnlySpan<byte> line)
    {
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
    public static async Task<AgentResponse> RequestAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken) =>
        Required(await SendAsync(paths, request, cancellationToken));

    /// <summary><see cref="RequestAsync"/> with blocking calls (<see cref="Send"/>).</summary>
    public static AgentResponse Request(CliPaths paths, AgentRequest request) => Required(Send(paths, request));

    private static AgentResponse Required(AgentResponse? response)
    {
        if (response is null) throw new CliException(ExitCodes.NotLoggedIn, AgentErrors.NotLoggedInMessage);
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
