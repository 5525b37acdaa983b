using System.Net.Sockets;
using System.Text.Json;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's Unix socket: in a directory of its user's own, mode 0700 (<see cref="AgentDirectory"/>), socket 0600,
/// one JSON line in and one out per connection; a connection from another uid (SO_PEERCRED) is refused before a byte
/// is read. Every request is answered: one whose handler fails unexpectedly gets <see cref="AgentErrors.Internal"/>,
/// and the listener goes on serving. At most <see cref="MaxConnections"/> are served at once, and each must send its
/// request within 5 seconds, so that slow or stuck clients cannot hold the agent.
/// </summary>
internal sealed class AgentListener(CliPaths paths, TextWriter log)
{
    private int _active;

    private const int MaxRequestBytes = 64 * 1024;

    /// <summary>Connections served at once; one more is answered <see cref="AgentErrors.Busy"/> at once and closed.</summary>
    public const int MaxConnections = 256;

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled; returns at once when an agent already answers on the socket.</summary>
    public async Task RunAsync(Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, CancellationToken cancellationToken)
    {
        AgentDirectory.PrepareToListen(paths);
        if (await AgentClient.IsRunningAsync(paths))
        {
            log.WriteLine($"vouch agent: already running on {paths.AgentSocket}");
            return;
        }
        File.Delete(paths.AgentSocket);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(paths.AgentSocket));
        File.SetUnixFileMode(paths.AgentSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Terraform and parallel AWS CLIs start credential_process by the hundred: a short backlog would refuse them.
        listener.Listen(1024);
        await File.WriteAllTextAsync(paths.AgentPidFile, Environment.ProcessId + "\n", cancellationToken);
        log.WriteLine($"vouch agent: listening on {paths.AgentSocket} (pid {Environment.ProcessId})");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var connection = await listener.AcceptAsync(cancellationToken);
                if (Interlocked.Increment(ref _active) <= MaxConnections)
                    _ = Task.Run(() => ServeAsync(connection, handle, cancellationToken), CancellationToken.None);
                else
                    _ = Task.Run(() => RefuseBusyAsync(connection), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped, or idle too long.
        }
        finally
        {
            File.Delete(paths.AgentSocket);
            File.Delete(paths.AgentPidFile);
        }
        log.WriteLine("vouch agent: stopped");
    }

    private async Task RefuseBusyAsync(Socket connection)
    {
        Interlocked.Decrement(ref _active);
        using (connection)
            await WriteLineAsync(connection, AgentResponse.Fail(AgentErrors.Busy, $"the vouch agent is answering {MaxConnections} requests already: try again"));
    }

    private async Task ServeAsync(Socket connection, Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, CancellationToken cancellationToken)
    {
        try
        {
            await ServeOneAsync(connection, handle, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task ServeOneAsync(Socket connection, Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, CancellationToken cancellationToken)
    {
        using (connection)
        {
            AgentResponse response;
            try
            {
                response = await AnswerAsync(connection, handle, cancellationToken);
            }
            catch (Exception e)
            {
                // A request must always be answered, and one bug must not stop the agent: the asker learns that the agent
                // failed (not that it is logged out), and the details go to the agent's own log (its user's terminal).
                log.WriteLine($"vouch agent: a request failed: {e}");
                response = AgentAnswers.Unexpected(e, paths.AgentPidFile);
            }
            await WriteLineAsync(connection, response);
        }
    }

    private async Task<AgentResponse> AnswerAsync(Socket connection, Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, CancellationToken cancellationToken)
    {
        if (PeerCredentials.UserId(connection) != Native.GetEffectiveUserId())
        {
            log.WriteLine("vouch agent: refused a connection from another user");
            return AgentResponse.Fail(AgentErrors.Forbidden, "the agent serves only its own user");
        }
        return await ReadRequestAsync(connection, cancellationToken) is { } request
            ? await handle(request, cancellationToken)
            : AgentResponse.Fail(AgentErrors.BadRequest, "malformed request");
    }

    private static async Task<AgentRequest?> ReadRequestAsync(Socket connection, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = await connection.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                if (read == 0) break;
                length += read;
                if (Array.IndexOf(buffer, (byte)'\n', length - read, read) >= 0) break;
            }
            return JsonSerializer.Deserialize(buffer.AsSpan(0, length).TrimEnd((byte)'\n'), CliJsonContext.Default.AgentRequest);
        }
        catch (Exception e) when (e is JsonException or OperationCanceledException or SocketException)
        {
            return null;
        }
    }

    /// <summary>Sends the answer even while the agent stops; gives up when the asker has gone or stopped reading.</summary>
    private static async Task WriteLineAsync(Socket connection, AgentResponse response)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, CliJsonContext.Default.AgentResponse);
        using var timeout = new CancellationTokenSource(WriteTimeout);
        try
        {
            await connection.SendAsync(bytes.Append((byte)'\n').ToArray(), timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }
}
