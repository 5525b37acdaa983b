using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Vouch.Cli.Aws;

/// <summary>Limits of <see cref="ContainerCredentialsServer"/>: defaults 8 KiB per request head, 5 seconds to send it, 16 connections at once.</summary>
public sealed record ContainerCredentialsServerOptions
{
    public int MaxRequestBytes { get; init; } = 8 * 1024;
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(5);
    public int MaxConnections { get; init; } = 16;

    /// <summary>How long one answer may take, the agent's STS call included.</summary>
    public TimeSpan ResponseDeadline { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The AWS SDKs' container credentials endpoint (<c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c> with
/// <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>) on 127.0.0.1 and a random port, for <c>vouch exec --server</c>.
/// A minimal HTTP/1.1 responder: one GET per connection, the head bounded in size and time; a request without the
/// token is answered 401, with a wrong one 403, and neither learns anything else. Every authorized GET asks
/// <c>credentials</c> again (the agent's cache and refresh apply), so the SDKs refresh by themselves.
/// </summary>
public sealed class ContainerCredentialsServer : IAsyncDisposable
{
    public const string CredentialsPath = "/vouch/credentials";

    /// <summary>Variables that would make an SDK take credentials from elsewhere before (or instead of) this endpoint.</summary>
    public static readonly IReadOnlyList<string> CompetingVariables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ];

    private readonly TcpListener _listener;
    private readonly Func<CancellationToken, Task<AwsCredentials>> _credentials;
    private readonly ContainerCredentialsServerOptions _options;
    private readonly TextWriter _log;
    private readonly byte[] _tokenHash;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private ContainerCredentialsServer(Func<CancellationToken, Task<AwsCredentials>> credentials, ContainerCredentialsServerOptions options, TextWriter log)
    {
        _credentials = credentials;
        _options = options;
        _log = log;
        _slots = new SemaphoreSlim(options.MaxConnections);
        Token = Base64Url(RandomNumberGenerator.GetBytes(32));
        _tokenHash = SHA256.HashData(Encoding.ASCII.GetBytes(Token));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{CredentialsPath}");
        _accepting = AcceptAsync();
    }

    /// <summary>The full URI for <c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c>.</summary>
    public Uri Uri { get; }

    /// <summary>The value for <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>: 256 random bits, new for every server. A secret.</summary>
    public string Token { get; }

    public static ContainerCredentialsServer Start(Func<CancellationToken, Task<AwsCredentials>> credentials, TextWriter log, ContainerCredentialsServerOptions? options = null) =>
        new(credentials, options ?? new ContainerCredentialsServerOptions(), log);

    /// <summary>Stops listening; connections being answered end at their next await. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        // Not disposed: connections still being answered link their deadlines to it.
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                await _slots.WaitAsync(_stop.Token);
                Socket connection;
                try
                {
                    connection = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }
                _ = Task.Run(() => ServeAsync(connection), CancellationToken.None);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped: the command has exited.
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        try
        {
            using (connection)
            {
                var (head, early) = await ReadHeadAsync(connection);
                var answer = early ?? (head is null ? null : Refusal(head) ?? await CredentialsAsync());
                if (answer is not null) await WriteAsync(connection, answer);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or was too slow; nothing to tell anyone.
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>The request head; or the answer that ends the connection early (too large, too slow); neither when the client left.</summary>
    private async Task<(byte[]? Head, Answer? Answer)> ReadHeadAsync(Socket connection)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_options.RequestDeadline);
        var buffer = new byte[_options.MaxRequestBytes];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) return (null, Answer.Text(431, "Request Header Fields Too Large", "request too large"));
                var read = await connection.ReceiveAsync(buffer.AsMemory(length), deadline.Token);
                if (read == 0) return (null, null);
                var searchFrom = Math.Max(0, length - 3);
                length += read;
                var end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8);
                if (end >= 0) return (buffer[..(searchFrom + end)], null);
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return (null, Answer.Text(408, "Request Timeout", "request timed out"));
        }
    }

    /// <summary>Why the request gets no credentials, or null when it may have them.</summary>
    private Answer? Refusal(byte[] head)
    {
        if (!LoopbackHttpRequest.TryParse(head, out var request)) return Answer.Text(400, "Bad Request", "malformed request");
        if (request.Method != "GET") return Answer.Text(405, "Method Not Allowed", "only GET", allow: "GET");
        if (request.Authorization is null) return Answer.Text(401, "Unauthorized", "authorization required");
        // Hashing first makes the comparison constant-time whatever the length of what was sent.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(request.Authorization), _tokenHash))
            return Answer.Text(403, "Forbidden", "forbidden");
        return request.Path == CredentialsPath ? null : Answer.Text(404, "Not Found", "not found");
    }

    private async Task<Answer> CredentialsAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_options.ResponseDeadline);
        try
        {
            return Answer.Json(Serialize(await _credentials(deadline.Token)));
        }
        catch (CliException e)
        {
            // The SDK shows this body in its error: "not logged in: run 'vouch login'" is what the user needs to see.
            return Answer.Text(503, "Service Unavailable", e.Message);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return Answer.Text(503, "Service Unavailable", "vouch took too long to get credentials");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug must not stop the endpoint while the command runs; the details go to vouch's stderr.
            await _log.WriteLineAsync($"vouch: the credentials endpoint failed: {e}");
            return Answer.Text(500, "Internal Server Error", "vouch failed unexpectedly; see its stderr");
        }
    }

    /// <summary>The object botocore's <c>ContainerProvider</c> and the other SDKs read; Expiration in ISO 8601 UTC.</summary>
    internal static byte[] Serialize(AwsCredentials credentials)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("AccessKeyId"u8, credentials.AccessKeyId);
            json.WriteString("SecretAccessKey"u8, credentials.SecretAccessKey);
            json.WriteString("Token"u8, credentials.SessionToken);
            json.WriteString("Expiration"u8, credentials.ExpirationText);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task WriteAsync(Socket connection, Answer answer)
    {
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(answer.Status).Append(' ').Append(answer.Reason).Append("\r\n")
            .Append("Content-Type: ").Append(answer.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(answer.Body.Length).Append("\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append(answer.Allow is null ? "" : $"Allow: {answer.Allow}\r\n")
            .Append("Connection: close\r\n\r\n");
        using var deadline = new CancellationTokenSource(_options.RequestDeadline);
        await connection.SendAsync(Encoding.ASCII.GetBytes(head.ToString()).Concat(answer.Body).ToArray(), deadline.Token);
        connection.Shutdown(SocketShutdown.Send);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Answer(int Status, string Reason, string ContentType, byte[] Body, string? Allow = null)
    {
        public static Answer Text(int status, string reason, string message, string? allow = null) =>
            new(status, reason, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(message + "\n"), allow);

        public static Answer Json(byte[] body) => new(200, "OK", "application/json", body);
    }
}
