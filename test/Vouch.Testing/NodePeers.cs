using System.Text.Json;

namespace Vouch.Testing;

/// <summary>
/// Independent relying parties written by others: jose (<c>createRemoteJWKSet</c> + <c>jwtVerify</c>,
/// <c>calculateJwkThumbprint</c>) and openid-client (discovery), run with Node from <c>test/peers/node</c>.
/// </summary>
public static class NodePeers
{
    private static string Directory => Path.Combine(RepositoryPaths.PeersDirectory, "node");

    /// <summary>
    /// Verifies <paramref name="token"/> the way a relying party would; the JSON has <c>ok</c>, <c>payload</c>,
    /// <c>header</c> or <c>code</c>. <paramref name="environment"/> adds to Node's (<c>NODE_EXTRA_CA_CERTS</c> for https).
    /// </summary>
    public static Task<JsonElement> VerifyJwtAsync(string token, string jwksUrl, string issuer, string audience,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        RunAsync("verify-jwt.mjs", [token, jwksUrl, issuer, audience], environment);

    /// <summary>Runs OIDC discovery against <paramref name="issuer"/>; the JSON has <c>ok</c> and <c>metadata</c>.</summary>
    public static Task<JsonElement> DiscoverAsync(string issuer, IReadOnlyDictionary<string, string?>? environment = null) =>
        RunAsync("discover.mjs", [issuer], environment);

    /// <summary>The RFC 7638 SHA-256 thumbprint of <paramref name="jwk"/> as jose computes it; the JSON has <c>ok</c> and <c>thumbprint</c>.</summary>
    public static Task<JsonElement> JwkThumbprintAsync(JsonElement jwk) => RunAsync("thumbprint.mjs", [jwk.GetRawText()]);

    /// <summary>Parses a CloudFormation template (js-yaml, CloudFormation tags allowed) or Terraform (@cdktf/hcl2json); the JSON has <c>ok</c> and <c>document</c>.</summary>
    public static Task<JsonElement> ParseConfigAsync(string kind, string file) => RunAsync("parse-config.mjs", [kind, file]);

    private static async Task<JsonElement> RunAsync(string script, string[] arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "jose")))
            throw new InvalidOperationException($"jose is not installed in {Directory}: run scripts/install-test-deps.sh (./test.sh does)");
        var result = await ProcessRunner.RunAsync("node", [Path.Combine(Directory, script), .. arguments],
            environment?.ToDictionary(), workingDirectory: Directory, timeout: TimeSpan.FromSeconds(30));
        var line = result.StandardOutput.Trim();
        if (line.Length == 0)
            throw new InvalidOperationException($"node {script} printed nothing (exit {result.ExitCode}): {result.StandardError}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
