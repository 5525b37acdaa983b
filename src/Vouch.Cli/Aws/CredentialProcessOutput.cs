using System.Text.Json;

namespace Vouch.Cli.Aws;

/// <summary>What <c>credential aws --format aws-credential-process</c> prints, shared by the command and the hot path.</summary>
public static class CredentialProcessOutput
{
    public const string Format = "aws-credential-process";

    /// <summary>Exactly the object credential_process reads, keys in the documented order, one line.</summary>
    public static string Of(AwsCredentials credentials)
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
