using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;
using Xunit;

namespace Vouch.Cli.Tests.Agent;

/// <summary>
/// Every field of the agent's messages, found by reflection, on every path: a request field written by both of the
/// client's hand-written paths (<see cref="AgentWire.Line"/>, <see cref="AgentWire.Written"/>) as the agent's
/// serializer reads it, an answer field read by <see cref="AgentWire.Parse"/> as the agent writes it, and each made by
/// the generators of <see cref="AgentWireTests"/>. A new property fails here until every path has it.
/// </summary>
public sealed class AgentWireFieldTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 26, 18, 30, 15, 123, TimeSpan.FromHours(5.5));

    private static readonly AwsCredentials Credentials = new()
    {
        AccessKeyId = "ASIA", SecretAccessKey = "secret", SessionToken = "token", Expiration = Time,
        RoleArn = "arn:aws:iam::123456789012:role/Dev", AssumedRoleArn = "arn:aws:sts::123456789012:assumed-role/Dev/alice", Region = "eu-west-1",
    };

    /// <summary>The properties the serializer both writes and reads (a computed one is written only, and never read back).</summary>
    private static IEnumerable<PropertyInfo> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    private static string Name(PropertyInfo property) => property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;

    private static object Sample(PropertyInfo property) => (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) switch
    {
        var t when t == typeof(string) => "value-of-" + Name(property),
        var t when t == typeof(int) => 900,
        var t when t == typeof(bool) => true,
        var t when t == typeof(DateTimeOffset) => Time,
        var t when t == typeof(AwsCredentials) => Credentials,
        var t => throw new InvalidOperationException($"no sample value for {t.Name} ({property.Name}): add one here and to the generators"),
    };

    private static T With<T>(T message, PropertyInfo property) where T : class
    {
        var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(message, null)!;
        property.SetValue(copy, Sample(property));
        return copy;
    }

    public static TheoryData<string> RequestFields() => [.. Fields(typeof(AgentRequest)).Where(p => p.Name != nameof(AgentRequest.Op)).Select(p => p.Name)];

    public static TheoryData<string> ResponseFields() => [.. Fields(typeof(AgentResponse)).Where(p => p.Name != nameof(AgentResponse.Ok)).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(RequestFields))]
    public void A_request_field_is_written_by_both_client_paths_as_the_agent_reads_it(string field)
    {
        var property = typeof(AgentRequest).GetProperty(field)!;
        var request = With(new AgentRequest { Op = AgentOperations.Aws }, property);
        var expected = JsonSerializer.SerializeToUtf8Bytes(request, CliJsonContext.Default.AgentRequest).Append((byte)'\n').ToArray();

        Assert.Contains($"\"{Name(property)}\":", Encoding.UTF8.GetString(expected), StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(AgentWire.Line(request)));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(AgentWire.Written(request)));
        Assert.Equal(request, JsonSerializer.Deserialize(expected, CliJsonContext.Default.AgentRequest));
    }

    [Theory]
    [MemberData(nameof(ResponseFields))]
    public void An_answer_field_is_read_by_the_client_as_the_agent_writes_it(string field)
    {
        var property = typeof(AgentResponse).GetProperty(field)!;
        var response = With(new AgentResponse { Ok = true }, property);
        var written = JsonSerializer.SerializeToUtf8Bytes(response, CliJsonContext.Default.AgentResponse);

        Assert.Contains($"\"{Name(property)}\":", Encoding.UTF8.GetString(written), StringComparison.Ordinal);
        Assert.Equal(response, AgentWire.Parse(written));
    }

    [Fact]
    public void Every_credentials_field_is_read_by_the_client_as_the_agent_writes_it()
    {
        foreach (var property in Fields(typeof(AwsCredentials)))
        {
            // Each one changed in turn, so that a field the reader skips (keeping a default) is seen.
            var credentials = (AwsCredentials)typeof(AwsCredentials).GetMethod("<Clone>$")!.Invoke(Credentials, null)!;
            property.SetValue(credentials, property.PropertyType == typeof(DateTimeOffset) ? Time.AddDays(1) : "changed-" + Name(property));
            var written = JsonSerializer.SerializeToUtf8Bytes(new AgentResponse { Ok = true, Credentials = credentials }, CliJsonContext.Default.AgentResponse);

            Assert.Equal(credentials, AgentWire.Parse(written)?.Credentials);
        }
    }

    [Fact]
    public void The_request_generator_makes_every_request_field()
    {
        var cases = Vouch.Testing.Fuzz.Cases(AgentWireTests.Requests(), seed: 20261126, count: 200);

        Assert.All(Fields(typeof(AgentRequest)), p => Assert.Contains(cases, c => p.GetValue(c) is not null));
    }

    [Fact]
    public void The_answer_generator_names_every_answer_and_credentials_field()
    {
        Assert.All(Fields(typeof(AgentResponse)).Select(Name), name => Assert.Contains(name, AgentWireTests.ResponseFields));
        Assert.All(Fields(typeof(AwsCredentials)).Select(Name), name => Assert.Contains(name, AgentWireTests.CredentialFields));
    }
}
