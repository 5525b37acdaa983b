using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Vouch.Server.Hosting;

/// <summary>The PEM files the server's own TLS certificate comes from: the certificate with its chain (leaf first), and the key.</summary>
public sealed record TlsFiles(string CertificatePath, string PrivateKeyPath);

/// <summary>
/// The server's TLS certificate, re-read from its PEM files when they change (a certbot renewal), at most once
/// every <see cref="CheckInterval"/>, so new connections get the new certificate without a restart. New content is
/// taken only once two checks in a row read the same bytes, so a file caught half-written (a chain cut after the
/// leaf still loads) is never served; until then the previous certificate is.
/// </summary>
public sealed partial class TlsCertificateSource(TlsFiles files, TimeProvider time, ILogger<TlsCertificateSource> logger)
{
    /// <summary>How often the files are looked at, at most (only when connections arrive).</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Loaded? _loaded;
    private (byte[] Certificate, byte[] Key)? _pending;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    private sealed record Loaded(byte[] Certificate, byte[] Key, SslStreamCertificateContext Context);

    /// <summary>The certificate to present now, with its chain.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (_loaded is null || now - _checkedAt >= CheckInterval)
                {
                    _checkedAt = now;
                    Refresh();
                }
                return _loaded!.Context;
            }
        }
    }

    /// <summary>Loads the files once, at start-up: a failure here is a configuration error (the message says which file and why).</summary>
    public static Outcome<X509Certificate2> Validate(TlsFiles files)
    {
        try
        {
            var (leaf, _) = Load(File.ReadAllBytes(files.CertificatePath), File.ReadAllBytes(files.PrivateKeyPath));
            return leaf;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return SettingProblem.Of(
                $"TLS certificate {SettingNames.TlsCertificate} and key {SettingNames.TlsPrivateKey}: cannot load {files.CertificatePath} " +
                $"with {files.PrivateKeyPath}: {e.Message}");
        }
    }

    private void Refresh()
    {
        byte[] certificate, key;
        try
        {
            certificate = File.ReadAllBytes(files.CertificatePath);
            key = File.ReadAllBytes(files.PrivateKeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_loaded is null) throw;
            Log.ReloadFailed(logger, files.CertificatePath, e.Message);
            return;
        }
        if (_loaded is not null && certificate.AsSpan().SequenceEqual(_loaded.Certificate) && key.AsSpan().SequenceEqual(_loaded.Key))
        {
            _pending = null;
            return;
        }
        if (_loaded is not null && !(_pending is { } seen && seen.Certificate.AsSpan().SequenceEqual(certificate) && seen.Key.AsSpan().SequenceEqual(key)))
        {
            // Changed since the last check: wait one more check for the writer to finish.
            _pending = (certificate, key);
            return;
        }
        _pending = null;
        try
        {
            var (leaf, chain) = Load(certificate, key);
            _loaded = new Loaded(certificate, key, SslStreamCertificateContext.Create(leaf, chain, offline: true));
            Log.Loaded(logger, leaf.Subject, leaf.Thumbprint, leaf.NotAfter.ToUniversalTime());
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // Most likely the files are being replaced right now; the next connection a second later tries again.
            if (_loaded is null) throw;
            Log.ReloadFailed(logger, files.CertificatePath, e.Message);
        }
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) Load(byte[] certificatePem, byte[] keyPem)
    {
        var certificateText = System.Text.Encoding.ASCII.GetString(certificatePem);
        var keyText = System.Text.Encoding.ASCII.GetString(keyPem);
        using var withoutKey = X509Certificate2.CreateFromPem(certificateText);
        var leaf = X509Certificate2.CreateFromPem(certificateText, keyText);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certificateText);
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint != withoutKey.Thumbprint) chain.Add(certificate);
        }
        return (leaf, chain);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Serving TLS certificate {Subject} ({Thumbprint}), valid until {NotAfter:O}")]
        public static partial void Loaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

        [LoggerMessage(2, LogLevel.Warning, "Could not reload the TLS certificate from {Path}; still serving the previous one: {Reason}")]
        public static partial void ReloadFailed(ILogger logger, string path, string reason);
    }
}
