using System.Buffers;
using System.Text.Json;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Agent;

/// <summary>
/// The client's side of the agent protocol on the wire, written by hand with <see cref="Utf8JsonWriter"/> and
/// <see cref="Utf8JsonReader"/>: the source-generated serializer builds its metadata and a JavaScript encoder in every
/// process, a quarter of the CPU of a cached credential_process call (docs/benchmarks.md). A request is byte for byte
/// what the source-generated <see cref="CliJsonContext"/> writes (declared order, nulls left out); an answer is read
/// as that serializer reads what the agent writes: names exact, unknown names skipped, a missing required member, a
/// value of the wrong kind or anything after the object a <see cref="JsonException"/>.
/// </summary>
internal static class AgentWire
{
    /// <summary>
    /// The request as the agent reads it: one line of JSON. When every value is plain (<see cref="IsPlain"/>, as the
    /// hot path's are) it is put together directly: a <see cref="Utf8JsonWriter"/> builds the JavaScript encoder in
    /// its first use, a tenth of a cached call's CPU; else the writer writes it.
    /// </summary>
    public static byte[] Line(AgentRequest request)
    {
        if (request.ExpiresAt is not null || request.Op is null || !IsPlain(request.Op) || !IsPlain(request.Server) || !IsPlain(request.Session) || !IsPlain(request.Email)
            || !IsPlain(request.Audience) || !IsPlain(request.Role) || !IsPlain(request.Region) || !IsPlain(request.StsEndpoint))
            return Written(request);
        var line = new System.Text.StringBuilder(256).Append("{\"" + AgentFields.Op + "\":\"").Append(request.Op).Append('"');
        Plain(line, AgentFields.Server, request.Server);
        Plain(line, AgentFields.Session, request.Session);
        Plain(line, AgentFields.Email, request.Email);
        Plain(line, AgentFields.Audience, request.Audience);
        Plain(line, AgentFields.Role, request.Role);
        if (request.DurationSeconds is { } duration)
            line.Append(",\"" + AgentFields.Duration + "\":").Append(duration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Plain(line, AgentFields.Region, request.Region);
        Plain(line, AgentFields.StsEndpoint, request.StsEndpoint);
        return System.Text.Encoding.ASCII.GetBytes(line.Append("}\n").ToString());
    }

    /// <summary>
    /// True when <paramref name="value"/> is null or is written as it is, without escapes, by every JavaScript
    /// encoder System.Text.Json has: printable ASCII but for <c>" \ &lt; &gt; &amp; ' + `</c>.
    /// </summary>
    public static bool IsPlain(string? value)
    {
        if (value is null) return true;
        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`') return false;
        }
        return true;
    }

    private static void Plain(System.Text.StringBuilder line, string name, string? value)
    {
        if (value is not null) line.Append(",\"").Append(name).Append("\":\"").Append(value).Append('"');
    }

    /// <summary>
    /// <see cref="Line"/> by <see cref="Utf8JsonWriter"/>, for any value. The names here and in <see cref="Response"/>
    /// are <see cref="AgentFields"/> as UTF-8 literals (a literal costs nothing at start-up); AgentWireFieldTests checks
    /// that every field is written and read by every path.
    /// </summary>
    internal static byte[] Written(AgentRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("op"u8, request.Op);
            if (request.Server is { } server) json.WriteString("server"u8, server);
            if (request.Session is { } session) json.WriteString("session"u8, session);
            if (request.Email is { } email) json.WriteString("email"u8, email);
            if (request.ExpiresAt is { } expiresAt) json.WriteString("expires_at"u8, expiresAt);
            if (request.Audience is { } audience) json.WriteString("audience"u8, audience);
            if (request.Role is { } role) json.WriteString("role"u8, role);
            if (request.DurationSeconds is { } duration) json.WriteNumber("duration"u8, duration);
            if (request.Region is { } region) json.WriteString("region"u8, region);
            if (request.StsEndpoint is { } endpoint) json.WriteString("sts_endpoint"u8, endpoint);
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The answer on one line (without its newline); null for a JSON <c>null</c>.</summary>
    public static AgentResponse? Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read()) throw new JsonException("no JSON value");
        var response = reader.TokenType == JsonTokenType.Null ? null : Response(ref reader);
        // One value and nothing after it but whitespace (Read throws on anything else).
        if (reader.Read()) throw new JsonException("more than one JSON value");
        return response;
    }

    private static AgentResponse Response(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        bool? ok = null;
        string? error = null, message = null, email = null, server = null, idToken = null;
        DateTimeOffset? expiresAt = null, tokenExpiresAt = null;
        AwsCredentials? credentials = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ok"u8)) ok = Boolean(ref reader);
            else if (reader.ValueTextEquals("error"u8)) error = String(ref reader);
            else if (reader.ValueTextEquals("message"u8)) message = String(ref reader);
            else if (reader.ValueTextEquals("email"u8)) email = String(ref reader);
            else if (reader.ValueTextEquals("server"u8)) server = String(ref reader);
            else if (reader.ValueTextEquals("expires_at"u8)) expiresAt = Time(ref reader);
            else if (reader.ValueTextEquals("id_token"u8)) idToken = String(ref reader);
            else if (reader.ValueTextEquals("token_expires_at"u8)) tokenExpiresAt = Time(ref reader);
            else if (reader.ValueTextEquals("credentials"u8)) credentials = Credentials(ref reader);
            else Skip(ref reader);
        }
        return new AgentResponse
        {
            Ok = ok ?? throw Missing("ok"),
            Error = error, Message = message, Email = email, Server = server, ExpiresAt = expiresAt,
            IdToken = idToken, TokenExpiresAt = tokenExpiresAt, Credentials = credentials,
        };
    }

    private static AwsCredentials? Credentials(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        Expect(ref reader, JsonTokenType.StartObject);
        // Present (possibly null) or absent, as a required member is checked: by presence.
        (bool Set, string? Value) accessKeyId = default, secretAccessKey = default, sessionToken = default, roleArn = default, region = default;
        DateTimeOffset? expiration = null;
        string? assumedRoleArn = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("access_key_id"u8)) accessKeyId = (true, String(ref reader));
            else if (reader.ValueTextEquals("secret_access_key"u8)) secretAccessKey = (true, String(ref reader));
            else if (reader.ValueTextEquals("session_token"u8)) sessionToken = (true, String(ref reader));
            else if (reader.ValueTextEquals("expiration"u8)) expiration = Time(ref reader) ?? throw new JsonException("expiration is null");
            else if (reader.ValueTextEquals("role_arn"u8)) roleArn = (true, String(ref reader));
            else if (reader.ValueTextEquals("assumed_role_arn"u8)) assumedRoleArn = String(ref reader);
            else if (reader.ValueTextEquals("region"u8)) region = (true, String(ref reader));
            else Skip(ref reader);
        }
        return new AwsCredentials
        {
            AccessKeyId = Required(accessKeyId, "access_key_id"),
            SecretAccessKey = Required(secretAccessKey, "secret_access_key"),
            SessionToken = Required(sessionToken, "session_token"),
            Expiration = expiration ?? throw Missing("expiration"),
            RoleArn = Required(roleArn, "role_arn"),
            AssumedRoleArn = assumedRoleArn,
            Region = Required(region, "region"),
        };
    }

    private static string Required((bool Set, string? Value) member, string name) => member.Set ? member.Value! : throw Missing(name);

    private static JsonException Missing(string name) => new($"the required member '{name}' is missing");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type) throw new JsonException($"expected {type}, found {reader.TokenType}");
    }

    private static bool Boolean(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new JsonException($"expected a boolean, found {reader.TokenType}"),
        };
    }

    private static string? String(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw new JsonException($"expected a string, found {reader.TokenType}"),
        };
    }

    private static DateTimeOffset? Time(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String when reader.TryGetDateTimeOffset(out var value) => value,
            _ => throw new JsonException($"expected an ISO 8601 time, found {reader.TokenType}"),
        };
    }

    private static void Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }
}
