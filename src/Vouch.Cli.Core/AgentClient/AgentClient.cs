using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Agent;

/// <summary>
/// Talks to the agent: one request, one response per connection. Starts it on demand for <c>vouch login</c>.
/// <see cref="SendAsync"/> and the synchronous <see cref="Send"/> (the hot path, <see cref="HotPath"/>) make the same
/// checks before anything is sent, send the same bytes and read the answer the same way (<see cref="AgentWire"/>).
/// </summary>
public static class AgentClient
{
    /// <summary>Sends <paramref name="request"/>; null when no agent is listening.</summary>
    public static async Task<AgentResponse?> SendAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken = default)
    {
        using var socket = ConnectSocket(paths);
        if (socket is null) return null;
        // Connected: from here on, anything but an answer is the agent failing, never "not logged in".
        var answer = new Answer(paths);
        try
        {
            try
            {
                await socket.SendAsync(AgentWire.Line(request), cancellationToken);
            }
            catch (SocketException e)
            {
                // An agent that answers before it reads (busy) may have closed already: its answer is still there to read.
                answer.Unsent = e;
            }
            while (!answer.Complete(await socket.ReceiveAsync(answer.Free, cancellationToken))) { }
        }
        catch (SocketException e)
        {
            throw answer.Failed(e);
        }
        return answer.Response();
    }

    /// <summary>
    /// <see cref="SendAsync"/> with blocking calls on the calling thread: no thread pool, no socket event thread. For
    /// the one-request processes credential_process starts; waits for the agent as long as it takes (Ctrl+C ends it).
    /// </summary>
    public static AgentResponse? Send(CliPaths paths, AgentRequest request)
    {
        using var socket = Connect(paths);
        if (socket is null) return null;
        var answer = new Answer(paths);
        try
        {
            try
            {
                socket.Send(AgentWire.Line(request));
            }
            catch (UnixSocketException e)
            {
                answer.Unsent = e;
            }
            while (!answer.Complete(socket.Receive(answer.Free.Span))) { }
        }
        catch (UnixSocketException e)
        {
            throw answer.Failed(e);
        }
        return answer.Response();
    }

    /// <summary>The answer as it arrives: bytes up to the first newline, or up to the end when the agent closes.</summary>
    private sealed class Answer(CliPaths paths)
    {
        /// <summary>The longest answer taken (credentials with a long session token are a few KB).</summary>
        private const int Limit = 1 << 20;

        private byte[] _bytes = new byte[16 * 1024];
        private int _used;
        private int _line = -1;

        /// <summary>Why the request could not be sent, when it could not.</summary>
        public Exception? Unsent { get; set; }

        /// <summary>Where the next bytes go.</summary>
        public Memory<byte> Free
        {
            get
            {
                if (_used == _bytes.Length)
                {
                    if (_bytes.Length >= Limit) throw Broken(paths, "its answer is not the agent protocol (is another program listening on the socket?)");
                    Array.Resize(ref _bytes, _bytes.Length * 2);
                }
                return _bytes.AsMemory(_used);
            }
        }

        /// <summary>Takes <paramref name="read"/> more bytes (0: closed); true once the answer is all there.</summary>
        public bool Complete(int read)
        {
            if (read == 0) return true;
            var newline = _bytes.AsSpan(_used, read).IndexOf((byte)'\n');
            if (newline >= 0) _line = _used + newline;
            _used += read;
            return _line >= 0;
        }

        public CliException Failed(Exception e) => Broken(paths, $"the connection failed ({(Unsent ?? e).Message})");

        public AgentResponse Response()
        {
            // Closed: a last line without its newline is still an answer; nothing at all is not.
            var length = _line >= 0 ? _line : _used;
            if (length == 0 && _line < 0)
                throw Unsent is null ? Broken(paths, "it closed the connection without answering") : Failed(Unsent);
            try
            {
                return AgentWire.Parse(_bytes.AsSpan(0, length)) ?? throw Broken(paths, "it answered null");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // InvalidOperationException: a string that is not UTF-8.
                throw Broken(paths, "its answer is not the agent protocol (is another program listening on the socket?)");
            }
        }
    }

    /// <summary>
    /// For <see cref="SendAsync"/>: a <see cref="Socket"/> connected to this user's agent, once the agent's directory is
    /// this user's own and the listener is this user's process; null when no agent is listening. Nothing is sent yet.
    /// </summary>
    private static Socket? ConnectSocket(CliPaths paths)
    {
        if (!MayConnect(paths)) return null;
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
        RequireOwnAgent(paths, socket, PeerCredentials.UserId(socket));
        return socket;
    }

    /// <summary>For <see cref="Send"/>: the same with blocking libc calls (<see cref="UnixSocket"/>).</summary>
    private static UnixSocket? Connect(CliPaths paths)
    {
        if (!MayConnect(paths)) return null;
        UnixSocket? socket;
        try
        {
            socket = UnixSocket.Connect(paths.AgentSocket);
        }
        catch (UnixSocketException e)
        {
            throw new CliException(FailureKind.BadConfiguration, $"cannot connect to the vouch agent on {paths.AgentSocket}: {e.Message}");
        }
        if (socket is not null) RequireOwnAgent(paths, socket, socket.PeerUserId());
        return socket;
    }

    private static bool MayConnect(CliPaths paths)
    {
        // Before anything else: a directory someone else controls may hold their socket, or be swapped for one later.
        AgentDirectory.RequireSafeToConnect(paths);
        // The common "not logged in" case: no socket at all, answered without paying for a failed connect.
        return File.Exists(paths.AgentSocket);
    }

    /// <summary>
    /// Before anything is sent (a login sends the session): the listener must be this user's own agent, not a socket
    /// another user planted where the agent would be. Closes <paramref name="socket"/> and throws otherwise.
    /// </summary>
    private static void RequireOwnAgent(CliPaths paths, IDisposable socket, uint? owner)
    {
        if (owner == Native.GetEffectiveUserId()) return;
        socket.Dispose();
        throw new CliException(FailureKind.BadConfiguration,
            $"{paths.AgentSocket} is held by another user (uid {owner?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}), not by your vouch agent: " +
            $"nothing was sent to it; remove {paths.AgentDirectory} or set VOUCH_AGENT_SOCKET or XDG_RUNTIME_DIR to a directory of your own");
    }

    private static CliException Broken(CliPaths paths, string what) => new(FailureKind.AgentFailed,
        $"the vouch agent on {paths.AgentSocket} did not answer: {what}; see its log: stop it (its PID is in {paths.AgentPidFile}) and run 'vouch agent' in a terminal");

    /// <summary>Sends <paramref name="request"/> and returns a successful answer; anything else is the matching <see cref="CliException"/>.</summary>
    public static async Task<AgentResponse> RequestAsync(CliPaths paths, AgentRequest request, CancellationToken cancellationToken) =>
        Required(await SendAsync(paths, request, cancellationToken));

    /// <summary><see cref="RequestAsync"/> with blocking calls (<see cref="Send"/>).</summary>
    public static AgentResponse Request(CliPaths paths, AgentRequest request) => Required(Send(paths, request));

    private static AgentResponse Required(AgentResponse? response)
    {
        if (response is null) throw new CliException(FailureKind.NotLoggedIn, AgentErrors.NotLoggedInMessage);
        return response.Ok ? response : throw Refusal(response);
    }

    /// <summary>The <see cref="CliException"/> for a failed answer, of the kind its error code names (<see cref="AgentErrors.KindOf"/>).</summary>
    public static CliException Refusal(AgentResponse response) =>
        new(AgentErrors.KindOf(response.Error), response.Message ?? response.Error ?? "the agent refused");

    public static async Task<bool> IsRunningAsync(CliPaths paths)
    {
        try
        {
            // Any answer will do: an older agent answers an operation it does not know with bad_request.
            return await SendAsync(paths, new AgentRequest { Op = AgentOperations.Ping }) is not null;
        }
        catch (CliException e) when (e.Kind == FailureKind.AgentFailed)
        {
            // Something holds the socket and accepts connections: not a free place for a new agent.
            return true;
        }
    }

    /// <summary>Starts <c>vouch agent</c> in the background unless one answers, and waits until it does.</summary>
    public static async Task EnsureRunningAsync(CliPaths paths, CancellationToken cancellationToken)
    {
        if (await IsRunningAsync(paths)) return;
        var self = Environment.ProcessPath ?? throw new CliException(FailureKind.Failed, "cannot find the vouch executable to start the agent");
        var start = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("agent");
        start.ArgumentList.Add("--background");
        using (Process.Start(start) ?? throw new CliException(FailureKind.Failed, "could not start the vouch agent")) { }
        for (var i = 0; i < 100; i++)
        {
            if (await IsRunningAsync(paths)) return;
            await Task.Delay(50, cancellationToken);
        }
        throw new CliException(FailureKind.Failed, $"the vouch agent did not start listening on {paths.AgentSocket}; run 'vouch agent' to see why");
    }
}
