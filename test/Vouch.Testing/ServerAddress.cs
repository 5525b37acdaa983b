namespace Vouch.Testing;

/// <summary>
/// Where a <see cref="ServerProcess"/> is reached when not at its default <c>http://127.0.0.1:PORT</c>: the issuer it
/// announces (behind a proxy, the proxy's public URL), the URL it listens on (<c>--listen</c>, where readiness is
/// checked) and, for an https listener, the handler that trusts its certificate (<see cref="TestPki.CreateHandler"/>).
/// </summary>
public sealed record ServerAddress(string Issuer, string? Listen = null, HttpMessageHandler? Handler = null);
