using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Cli.Agent;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Cli.Tests.Agent;

/// <summary>
/// The client's hand-written side of the agent protocol (<see cref="AgentWire"/>) against the source-generated
/// serializer the agent uses: the same request bytes, and every answer, well-formed or not, read to the same value or
/// refused by both. Seeds are fixed (<see cref="Vouch.Testing.Fuzz"/>).
/// </summary>
public sealed class AgentWireTests(ITestOutputHelper output)
{
    internal static readonly string[] ResponseFields =
        ["ok", "error", "message", "email", "server", "expires_at", "id_token", "token_expires_at", "credentials", "OK", "Ok", "e\\u006dail"];

    internal static readonly string[] CredentialFields =
        ["access_key_id", "secret_access_key", "session_token", "expiration", "role_arn", "assumed_role_arn", "region", "AccessKeyId"];

    private static Gen<string> Text() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""),
        Gen.Elements("alice@example.com", "a+b=c,d.e@f-g", "\"quoted\" \\ back", "<&>'", "\u00e5lice", "\ud83d\ude00", "\ud800", "\u2028", "\0",
            "2026-11-26T18:30:15Z", "2026-11-26T18:30:15.1234567+05:30", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "not a date", ""));

    private static Gen<JsonNode?> Value(Gen<JsonNode?> nested) => Gen.Frequency(
        (3, Text().Select(s => (JsonNode?)JsonValue.Create(s))),
        (1, Gen.Constant<JsonNode?>(null)),
        (1, ArbMap.Default.GeneratorFor<bool>().Select(b => (JsonNode?)JsonValue.Create(b))),
        (1, ArbMap.Default.GeneratorFor<int>().Select(i => (JsonNode?)JsonValue.Create(i))),
        (1, Gen.Constant<JsonNode?>(new JsonArray(1, "x", null))),
        (1, nested));

    private static Gen<JsonNode?> Object(string[] fields, Gen<JsonNode?> values) =>
        Gen.Choose(0, 10).SelectMany(n => Gen.ListOf(Gen.Zip(Gen.Frequency((6, Gen.Elements(fields)), (1, Text())), values), n)).Select(pairs =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in pairs) o[k] = v?.DeepClone();
            return (JsonNode?)o;
        });

    private static Gen<JsonNode?> Times() => Gen.Elements("2026-11-26T18:30:15Z", "2026-11-26T18:30:15.1234567+05:30", "0001-01-01T00:00:00Z")
        .Select(t => (JsonNode?)JsonValue.Create(t));

    /// <summary>An answer the agent could write (every member of the right kind), some members then left out or replaced.</summary>
    private static Gen<JsonNode?> Plausible()
    {
        var credentials =
            from values in Gen.ArrayOf(Text(), 6)
            from expiration in Times()
            select (JsonNode?)new JsonObject
            {
                ["access_key_id"] = values[0], ["secret_access_key"] = values[1], ["session_token"] = values[2], ["expiration"] = expiration,
                ["role_arn"] = values[3], ["assumed_role_arn"] = values[4], ["region"] = values[5],
            };
        var whole =
            from ok in ArbMap.Default.GeneratorFor<bool>()
            from values in Gen.ArrayOf(Text(), 5)
            from times in Gen.ArrayOf(Times(), 2)
            from inner in Gen.OneOf(credentials, Gen.Constant<JsonNode?>(null))
            select (JsonNode?)new JsonObject
            {
                ["ok"] = ok, ["error"] = values[0], ["message"] = values[1], ["email"] = values[2], ["server"] = values[3], ["expires_at"] = times[0],
                ["id_token"] = values[4], ["token_expires_at"] = times[1], ["credentials"] = inner,
            };
        // Now and then: a member dropped (inside the credentials too), or one replaced by any value.
        return from answer in whole
               from drop in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements(ResponseFields.Concat(CredentialFields).ToArray()).Select(f => (string?)f)))
               from replace in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements(ResponseFields.Concat(CredentialFields).ToArray()).Select(f => (string?)f)))
               from value in Value(Gen.Constant<JsonNode?>(new JsonObject()))
               select (JsonNode?)Mutate(answer!.AsObject(), drop, replace, value);
    }

    private static JsonObject Mutate(JsonObject answer, string? drop, string? replace, JsonNode? value)
    {
        foreach (var o in new[] { answer, answer["credentials"] as JsonObject })
        {
            if (o is null) continue;
            if (drop is not null) o.Remove(drop);
            if (replace is not null && o.ContainsKey(replace)) o[replace] = value?.DeepClone();
        }
        return answer;
    }

    /// <summary>Mostly objects shaped like answers, with credentials inside; sometimes broken text.</summary>
    private static Gen<byte[]> Answers()
    {
        var credentials = Object(CredentialFields, Value(Gen.Constant<JsonNode?>(new JsonObject())));
        var answer = Gen.OneOf(Object(ResponseFields, Value(credentials)), Plausible()).Select(j => Encoding.UTF8.GetBytes(j!.ToJsonString()));
        return Gen.Frequency(
            (8, answer),
            (1, answer.SelectMany(bytes => Gen.Elements(" ", "\t", "x", "}", "{}", " null", "\r", "//c").Select(tail => bytes.Concat(Encoding.UTF8.GetBytes(tail)).ToArray()))),
            (1, answer.SelectMany(bytes => Gen.Choose(0, Math.Max(0, bytes.Length - 1)).Select(cut => bytes[..cut]))),
            (1, Gen.Elements("null", "", " ", "[]", "true", "\"ok\"", "{\"ok\":true}", "{\"ok\":null}", "{\"ok\":\"true\"}", "{\"ok\":true,\"ok\":false}",
                "{\"ok\":true,\"credentials\":{}}", "{\"ok\":true,\"expires_at\":\"2026-11-26\"}", "{\"ok\":true,}", "{\"ok\":true /*c*/}").Select(Encoding.UTF8.GetBytes)),
            (1, ArbMap.Default.GeneratorFor<byte[]>()));
    }

    internal static Gen<AgentRequest> Requests() =>
        from op in Gen.OneOf(Gen.Elements(AgentOperations.Aws, AgentOperations.Status, AgentOperations.Login), Text())
        from strings in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Text().Select(s => (string?)s)),
            (8, Gen.Elements<string?>("arn:aws:iam::123456789012:role/Dev", "us-east-1", "http://127.0.0.1:18191", "alice@example.com", "vs_a-b_c", ""))), 7)
        from duration in Gen.OneOf(Gen.Constant<int?>(null), ArbMap.Default.GeneratorFor<int>().Select(i => (int?)i))
        from time in Gen.Frequency((3, Gen.Constant<DateTimeOffset?>(null)),
            (1, Gen.Elements<DateTimeOffset?>(new DateTimeOffset(2026, 11, 26, 18, 30, 15, 123, TimeSpan.FromHours(5.5)), DateTimeOffset.MinValue, DateTimeOffset.MaxValue)))
        select new AgentRequest
        {
            Op = op, Server = strings[0], Session = strings[1], Email = strings[2], ExpiresAt = time, Audience = strings[3],
            Role = strings[4], DurationSeconds = duration, Region = strings[5], StsEndpoint = strings[6],
        };

    [Fact]
    public async Task A_request_is_byte_for_byte_what_the_source_generated_serializer_writes()
    {
        var run = await Vouch.Testing.Fuzz.CheckEachAsync("agent wire requests", seed: 20261126, count: 500, Requests(), request =>
        {
            var expected = JsonSerializer.SerializeToUtf8Bytes(request, CliJsonContext.Default.AgentRequest).Append((byte)'\n').ToArray();
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(AgentWire.Line(request)));
            Assert.Equal(expected, AgentWire.Line(request));
        }, request => JsonSerializer.Serialize(request, CliJsonContext.Default.AgentRequest));
        output.WriteLine(run.ToString());
    }

    [Fact]
    public async Task An_answer_is_read_to_the_same_value_as_the_source_generated_serializer_reads_it_or_refused_by_both()
    {
        var (read, refused) = (0, 0);
        var run = await Vouch.Testing.Fuzz.CheckEachAsync("agent wire answers", seed: 20261127, count: 3000, Answers(), bytes =>
        {
            var expected = Outcome(() => JsonSerializer.Deserialize(bytes, CliJsonContext.Default.AgentResponse));
            var actual = Outcome(() => AgentWire.Parse(bytes));
            Assert.Equal(expected, actual);
            if (expected.Refused) refused++;
            else read++;
        }, bytes => Encoding.UTF8.GetString(bytes));
        output.WriteLine($"{run}: {read} read, {refused} refused");
        // The generator must reach both sides, or the comparison proves little.
        Assert.InRange(read, 300, 2700);
    }

    [Fact]
    public async Task The_credential_process_object_is_the_same_whether_put_together_directly_or_by_the_json_writer()
    {
        var credentials =
            from values in Gen.ArrayOf(Gen.Frequency((1, Text()), (4, Gen.Elements("ASIAXYZ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "FwoGZXIvYXdzE//////////wEaDP/="))), 3)
            from seconds in Gen.Choose(0, int.MaxValue)
            select new Vouch.Cli.Aws.AwsCredentials
            {
                AccessKeyId = values[0], SecretAccessKey = values[1], SessionToken = values[2], Expiration = DateTimeOffset.UnixEpoch.AddSeconds(seconds),
                RoleArn = "arn:aws:iam::123456789012:role/Dev", Region = "eu-west-1",
            };
        var direct = 0;
        var run = await Vouch.Testing.Fuzz.CheckEachAsync("credential_process output", seed: 20261128, count: 500, credentials, c =>
        {
            Assert.Equal(Vouch.Cli.Aws.CredentialProcessOutput.Written(c), Vouch.Cli.Aws.CredentialProcessOutput.Of(c));
            if (AgentWire.IsPlain(c.AccessKeyId) && AgentWire.IsPlain(c.SecretAccessKey) && AgentWire.IsPlain(c.SessionToken)) direct++;
        }, c => $"{c.AccessKeyId} {c.SecretAccessKey} {c.SessionToken} {c.ExpirationText}");
        output.WriteLine($"{run}: {direct} put together directly");
        Assert.InRange(direct, 50, 450);
    }

    [Fact]
    public async Task Requests_with_plain_values_are_put_together_directly_and_the_rest_written_alike()
    {
        var plain = 0;
        var run = await Vouch.Testing.Fuzz.CheckEachAsync("agent wire request paths", seed: 20261129, count: 500, Requests(), request =>
        {
            Assert.Equal(AgentWire.Written(request), AgentWire.Line(request));
            if (request.ExpiresAt is null && new[] { request.Op, request.Server, request.Session, request.Email, request.Audience, request.Role, request.Region, request.StsEndpoint }.All(AgentWire.IsPlain)) plain++;
        });
        output.WriteLine($"{run}: {plain} plain");
        Assert.InRange(plain, 25, 475);
    }

    [Fact]
    public void What_the_agent_writes_is_read_back_whole()
    {
        var sent = new AgentResponse
        {
            Ok = true, Email = "\u00e5lice+dev@example.com", Server = "https://vouch.example.com", ExpiresAt = new DateTimeOffset(2026, 11, 27, 1, 2, 3, TimeSpan.FromHours(-7)),
            Message = "line\nbreak \"quoted\" <tag>", IdToken = "eyJ.x.y", TokenExpiresAt = DateTimeOffset.UnixEpoch,
            Credentials = new Vouch.Cli.Aws.AwsCredentials
            {
                AccessKeyId = "ASIA", SecretAccessKey = "s+/=", SessionToken = "t\\\"", Expiration = new DateTimeOffset(2026, 11, 26, 19, 0, 0, 500, TimeSpan.Zero),
                RoleArn = "arn:aws:iam::123456789012:role/Dev", AssumedRoleArn = "arn:aws:sts::123456789012:assumed-role/Dev/alice", Region = "eu-west-1",
            },
        };

        var received = AgentWire.Parse(JsonSerializer.SerializeToUtf8Bytes(sent, CliJsonContext.Default.AgentResponse));

        Assert.Equal(sent, received);
    }

    /// <summary>A value, or the fact of a refusal (any exception: the client turns them all into "not the agent protocol").</summary>
    private static (bool Refused, AgentResponse? Value) Outcome(Func<AgentResponse?> read)
    {
        try
        {
            return (false, read());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return (true, null);
        }
    }
}
