using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vouch.Protocol;

namespace Vouch.Cli.Server;

/// <summary>
/// The Vouch server's JSON API. Unreachable servers become <see cref="ExitCodes.ServerUnreachable"/> failures that
/// say why in words (<see cref="ServerConnections.Explain"/>); refusals carry the server's stable error code: session
/// problems map to <see cref="ExitCodes.NotLoggedIn"/>, a disabled account to <see cref="DisabledMessage"/>.
/// </summary>
public sealed class VouchServerClient(ServerConnections connections, string server)
{
    /// <summary>What the CLI says when the server refuses a disabled user (<see cref="ErrorCodes.UserDisabled"/>), exit code <see cref="ExitCodes.Refused"/>.</summary>
    public const string DisabledMessage = "your Vouch account is disabled; ask your administrator";

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
            throw new CliException(ExitCodes.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} to logout");
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
                    ?? throw new CliException(ExitCodes.Failed, $"the Vouch server at {server} answered with an empty body");
            }
            catch (JsonException)
            {
                throw new CliException(ExitCodes.Failed,
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
            throw new CliException(ExitCodes.ServerUnreachable, $"the Vouch server at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}: it is restarting or failing; try again shortly");
        if (error is null)
            throw new CliException(ExitCodes.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        throw error.Error switch
        {
            ErrorCodes.InvalidSession or ErrorCodes.SessionExpired or ErrorCodes.SessionRevoked =>
                new CliException(ExitCodes.NotLoggedIn, $"{error.Description} ({error.Error})") { ServerError = error.Error },
            ErrorCodes.UserDisabled => new CliException(ExitCodes.Refused, DisabledMessage) { ServerError = error.Error },
            _ => new CliException(ExitCodes.Refused, $"{error.Description} ({error.Error})") { ServerError = error.Error },
        };
    }

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
