using System.Text.Json;

namespace Vouch.Cli.Aws;

/// <summary>What <c>credential aws --format aws-credential-process</c> prints, shared by the command and the hot path.</summary>
public static class CredentialProcessOutput
{
    public const string Format = "aws-credential-process";

    /// <summary>
    /// Exactly the object credential_process reads, keys in the documented order, one line. Values that need no escape
    /// (<see cref="Agent.AgentWire.IsPlain"/>: STS's always do) are put in directly, without building an encoder.
    /// </summary>
    public static string Of(AwsCredentials credentials)
    {
        var expiration = credentials.ExpirationText;
        if (!Plain(credentials.AccessKeyId) || !Plain(credentials.SecretAccessKey) || !Plain(credentials.SessionToken) || !Plain(expiration))
            return Written(credentials);
        return $"{{\"Version\":1,\"AccessKeyId\":\"{credentials.AccessKeyId}\",\"SecretAccessKey\":\"{credentials.SecretAccessKey}\",\"SessionToken\":\"{credentials.SessionToken}\",\"Expiration\":\"{expiration}\"}}\n";
    }

    private static bool Plain(string? value) => value is not null && Agent.AgentWire.IsPlain(value);

    /// <summary><see cref="Of"/> by <see cref="Utf8JsonWriter"/>, for any value.</summary>
    internal static string Written(AwsCredentials credentials)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("Version", 1);
            json.WriteString("AccessKeyId", credentials.AccessKeyId);
            json.WriteString("SecretAccessKey", credentials.SecretAccessKey);
            json.WriteString("SessionToken", credentials.SessionToken);
            json.WriteString("Expiration", credentials.ExpirationText);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
