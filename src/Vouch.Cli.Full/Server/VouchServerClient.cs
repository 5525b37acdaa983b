using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vouch.Protocol;

namespace Vouch.Cli.Server;

/// <summary>
/// The Vouch server's JSON API. Unreachable servers become <see cref="FailureKind.ServerUnreachable"/> failures that
/// say why in words (<see cref="ServerConnections.Explain"/>); a refusal's stable error code becomes its kind here,
/// once (<see cref="KindOf"/>), and its message is the server's description.
/// </summary>
public sealed class VouchServerClient(ServerConnections connections, string server)
{
    public string Server => server;

    /// <summary>The WebAuthn origin of the server (scheme, host and port).</summary>
    public string Origin => new Uri(server).GetLeftPart(UriPartial.Authority);

    /// <summary>Ends the session on the server (<c>POST</c> <see cref="ApiRoutes.Logout"/>).</summary>
    public async Task LogoutAsync(string bearer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server + ApiRoutes.Logout);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await SendAsync(request, cancellationToken);
        // 401: the session had already ended, which is what logging out wants.
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.Unauthorized)
            throw new CliException(FailureKind.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} to logout");
    }

    /// <summary>Confirms that the session is live and its user enabled (<c>GET</c> <see cref="ApiRoutes.Session"/>).</summary>
    public async Task<SessionResponse> GetSessionAsync(string bearer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server + ApiRoutes.Session);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await SendAsync(request, cancellationToken);
        return await ReadAsync(response, ProtocolJsonContext.Default.SessionResponse, cancellationToken);
    }

    public async Task<TResponse> PostAsync<TRequest, TResponse>(
        string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        string? bearer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server + path)
        {
            Content = JsonContent.Create(body, requestType),
        };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await SendAsync(request, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken);
    }

    private async Task<TResponse> ReadAsync<TResponse>(HttpResponseMessage response, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        // Read as UTF-8 JSON whatever charset the answer claims (RFC 8259): a bogus charset is no reason to fail otherwise.
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            try
            {
                return JsonSerializer.Deserialize(body, responseType)
                    ?? throw new CliException(FailureKind.Failed, $"the Vouch server at {server} answered with an empty body");
            }
            catch (JsonException)
            {
                throw new CliException(FailureKind.Failed,
                    $"the Vouch server at {server} answered {(int)response.StatusCode} with a body that is not its JSON API: is --server the Vouch server's URL?");
            }
        }
        ErrorResponse? error = null;
        try
        {
            error = JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ErrorResponse);
        }
        catch (JsonException)
        {
            // Not a Vouch error body (a proxy's page, say): report the status alone.
        }
        // A gateway error or an unavailable server (a proxy whose backend is restarting) is not a refusal: it passes.
        if ((int)response.StatusCode >= 500 && (error is null || error.Error is ErrorCodes.NotReady or ErrorCodes.ServerError))
            throw new CliException(FailureKind.ServerUnreachable, $"the Vouch server at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}: it is restarting or failing; try again shortly");
        if (error is null)
            throw new CliException(FailureKind.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        var kind = KindOf(error.Error);
        // A disabled account is said in the server's own words, alone (docs/cli.md); any other refusal ends with its code.
        throw new CliException(kind, kind == FailureKind.UserDisabled && error.Description is { Length: > 0 } ? error.Description : $"{error.Description} ({error.Error})") { ServerError = error.Error };
    }

    /// <summary>The kind of failure a refusal with the server's error code <paramref name="error"/> is.</summary>
    public static FailureKind KindOf(string error) => error switch
    {
        // Each description already says to run 'vouch login' (Sessions/SessionService.cs in the server).
        ErrorCodes.InvalidSession or ErrorCodes.SessionExpired or ErrorCodes.SessionRevoked => FailureKind.NotLoggedIn,
        ErrorCodes.UserDisabled => FailureKind.UserDisabled,
        _ => FailureKind.Refused,
    };

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await connections.Client.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw connections.Explain(e, server);
        }
    }
}
