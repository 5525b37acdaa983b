using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Cli.Server;

/// <summary>
/// Says in words why a request to the Vouch server failed and what to do, from the error codes of the exception
/// (<see cref="HttpRequestError"/>, <see cref="SocketError"/>) and the certificate the handshake rejected, never
/// from exception messages (the NativeAOT binary has only resource keys for those). Always
/// <see cref="FailureKind.ServerUnreachable"/>.
/// </summary>
internal static class ConnectionFailure
{
    private const X509ChainStatusFlags Untrusted = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
    private const X509ChainStatusFlags Explained = Untrusted | X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.Revoked;

    public static CliException Explain(Exception failure, Uri server, ServerCertificate? rejected, TimeSpan timeout, DateTimeOffset now)
    {
        var endpoint = $"{server.Host}:{server.Port}";
        var socket = Inner<SocketException>(failure)?.SocketErrorCode;
        var error = (failure as HttpRequestException)?.HttpRequestError ?? HttpRequestError.Unknown;
        var reason = (error, socket) switch
        {
            _ when failure is OperationCanceledException || socket == SocketError.TimedOut || Inner<TimeoutException>(failure) is not null =>
                $"no answer from {endpoint} within {timeout.TotalSeconds:0} s (timed out): check that the server is up and that this machine can reach it (network, VPN, firewall, proxy)",
            (_, SocketError.HostNotFound or SocketError.NoData) or (HttpRequestError.NameResolutionError, not SocketError.TryAgain) =>
                $"the name {server.Host} was not found (DNS): check the server URL for a typo, and whether the name is only known inside a VPN",
            (HttpRequestError.NameResolutionError, _) or (_, SocketError.TryAgain) =>
                $"the name {server.Host} could not be looked up (DNS did not answer): check this machine's network and DNS settings",
            (_, SocketError.ConnectionRefused) =>
                $"nothing accepts connections on {endpoint} (connection refused): is the Vouch server running, and is the port in the URL right?",
            (_, SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown) =>
                $"no route to {endpoint} (network or host unreachable): check this machine's network connection or VPN",
            (HttpRequestError.SecureConnectionError, _) when rejected is not null => Certificate(rejected, server.Host, now),
            (HttpRequestError.SecureConnectionError, _) =>
                $"the TLS handshake with {endpoint} failed before a certificate could be checked: check that it serves HTTPS (an http:// server needs an http:// URL) with TLS 1.2 or 1.3",
            (HttpRequestError.ProxyTunnelError, _) =>
                $"the HTTP proxy could not connect to {endpoint}: check HTTPS_PROXY, HTTP_PROXY and NO_PROXY",
            (HttpRequestError.InvalidResponse, _) =>
                $"{endpoint} did not answer in HTTP: check that the URL points at the Vouch server, with the right scheme (https:// or http://)",
            (HttpRequestError.ResponseEnded, _) or (_, SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown) =>
                $"{endpoint} closed the connection before it answered: check that the URL points at the Vouch server (a proxy or load balancer may be refusing it)",
            _ => $"the connection to {endpoint} failed ({error}{(socket is { } code ? $", {code}" : "")})",
        };
        return new CliException(FailureKind.ServerUnreachable, $"cannot reach the Vouch server at {server.GetLeftPart(UriPartial.Authority)}: {reason}");
    }

    /// <summary>Every problem the handshake found with the certificate, each with what to do.</summary>
    private static string Certificate(ServerCertificate seen, string host, DateTimeOffset now)
    {
        if (seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "the server presented no TLS certificate";
        var which = $"subject {seen.Subject}, issued by {seen.Issuer}";
        var problems = new List<string>();
        if (seen.ChainStatus.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            problems.Add(seen.NotBefore > now
                ? $"its certificate is not valid until {Time(seen.NotBefore)} (this machine's clock says {Time(now)}): check this machine's clock"
                : $"its certificate expired on {Time(seen.NotAfter)} (valid from {Time(seen.NotBefore)}; this machine's clock says {Time(now)}): the server needs a renewed certificate, unless this machine's clock is wrong");
        }
        if (seen.ChainStatus.HasFlag(X509ChainStatusFlags.Revoked))
            problems.Add($"its certificate ({which}) has been revoked by its issuer: the server needs a new certificate");
        if ((seen.ChainStatus & ~(Explained | X509ChainStatusFlags.NoError)) is var other and not X509ChainStatusFlags.NoError)
            problems.Add($"its certificate ({which}) failed validation ({other})");
        var untrusted = (seen.ChainStatus & Untrusted) != 0
            || (seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && problems.Count == 0);
        if (untrusted)
        {
            problems.Add(seen.IsSelfSigned
                ? $"its certificate is self-signed ({which}) and this machine does not trust it"
                : $"its certificate ({which}) is not trusted by this machine: its issuer is not a certificate authority this machine trusts");
        }
        if (seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            var names = seen.Names.Count > 0 ? string.Join(", ", seen.Names) : "no name";
            problems.Add($"its certificate is for {names}, not {host}: use a server URL with one of those names, or have the certificate reissued to include {host}");
        }
        var text = string.Join("; ", problems);
        return untrusted
            ? text + ". To trust a private certificate authority, install its CA certificate in the system store (Debian/Ubuntu: copy it to /usr/local/share/ca-certificates/NAME.crt and run 'sudo update-ca-certificates') or set SSL_CERT_FILE to a PEM bundle that contains it"
            : text;
    }

    private static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "an unknown time";

    private static T? Inner<T>(Exception? failure) where T : Exception
    {
        for (; failure is not null; failure = failure.InnerException)
        {
            if (failure is T found) return found;
        }
        return null;
    }
}
