using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vouch.Protocol;

namespace Vouch.Cli.Server;

/// <summary>
/// The Vouch server's JSON API. Unreachable servers and refusals become <see cref="CliException"/>s with the
/// server's stable error code in the message; session problems map to <see cref="ExitCodes.NotLoggedIn"/>.
/// </summary>
public sealed class VouchServerClient(HttpClient http, string server)
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
            throw new CliException(ExitCodes.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} to logout");
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
        using (var response = await SendAsync(request, cancellationToken))
        {
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadFromJsonAsync(responseType, cancellationToken)
                    ?? throw new CliException(ExitCodes.Failed, $"the Vouch server at {server} answered with an empty body");
            }
            ErrorResponse? error = null;
            try
            {
                error = await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ErrorResponse, cancellationToken);
            }
            catch (JsonException)
            {
                // Not a Vouch error body (a proxy's page, say): report the status alone.
            }
            if (error is null)
                throw new CliException(ExitCodes.Refused, $"the Vouch server at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            var exitCode = error.Error is ErrorCodes.InvalidSession or ErrorCodes.SessionExpired or ErrorCodes.SessionRevoked
                ? ExitCodes.NotLoggedIn
                : ExitCodes.Refused;
            throw new CliException(exitCode, $"{error.Description} ({error.Error})");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new CliException(ExitCodes.ServerUnreachable, $"cannot reach the Vouch server at {server}: {e.Message}");
        }
    }
}
