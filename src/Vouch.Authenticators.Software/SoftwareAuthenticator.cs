using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Vouch.Authenticators.Software;

/// <summary>The stored form of a <see cref="SoftwareCredential"/>.</summary>
public sealed record SoftwareCredentialState
{
    [JsonPropertyName("rp_id")] public string? RpId { get; init; }
    [JsonPropertyName("credential_id")] public required string CredentialId { get; init; }
    [JsonPropertyName("private_key")] public required string PrivateKey { get; init; }
    [JsonPropertyName("user_handle")] public string? UserHandle { get; init; }
    [JsonPropertyName("counter")] public uint Counter { get; init; }
}

/// <summary>The file behind <c>VOUCH_SOFTWARE_AUTHENTICATOR</c>.</summary>
public sealed record SoftwareAuthenticatorState
{
    [JsonPropertyName("credentials")] public List<SoftwareCredentialState> Credentials { get; init; } = [];
}

/// <summary>
/// <c>VOUCH_SOFTWARE_AUTHENTICATOR=FILE</c>: a software authenticator whose keys live in FILE (mode 0600), for tests
/// and demos only. Its private keys are on disk, which is exactly what a YubiKey avoids; a server with the default
/// attestation policy refuses it.
/// </summary>
public sealed class SoftwareAuthenticator(string file) : IAuthenticator
{
    public const string EnvironmentVariable = "VOUCH_SOFTWARE_AUTHENTICATOR";

    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        var state = Load();
        using var credential = new SoftwareCredential();
        var response = credential.MakeCredential(options, origin);
        state.Credentials.RemoveAll(c => c.RpId == credential.RpId);
        state.Credentials.Add(credential.Export());
        Save(state);
        return response;
    }

    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        var state = Load();
        var rpId = options.GetProperty("rpId").GetString();
        var stored = state.Credentials.FirstOrDefault(c => c.RpId == rpId)
            ?? throw new AuthenticatorException(AuthenticatorFailure.NoKey, $"the software authenticator in {file} holds no credential for {rpId}: run 'vouch enroll' first");
        using var credential = SoftwareCredential.Import(stored);
        var response = credential.GetAssertion(options, origin);
        state.Credentials[state.Credentials.IndexOf(stored)] = credential.Export();
        Save(state);
        return response;
    }

    private SoftwareAuthenticatorState Load()
    {
        if (!File.Exists(file)) return new SoftwareAuthenticatorState();
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), SoftwareJsonContext.Default.SoftwareAuthenticatorState) ?? new SoftwareAuthenticatorState();
        }
        catch (JsonException)
        {
            throw new AuthenticatorException(AuthenticatorFailure.BadConfiguration, $"{EnvironmentVariable}: {file} is not a software authenticator file");
        }
    }

    private void Save(SoftwareAuthenticatorState state)
    {
        var temporary = file + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temporary, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            JsonSerializer.Serialize(stream, state, SoftwareJsonContext.Default.SoftwareAuthenticatorState);
        }
        File.Move(temporary, file, overwrite: true);
    }
}
