using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

/// <summary>Several server processes sharing one real PostgreSQL database, as behind a load balancer.</summary>
[Collection(PostgresTests.Name)]
public sealed class MultiInstanceProcessTests(PostgresFixture postgres) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Instances_on_one_postgres_database_publish_the_same_keys_in_the_same_order()
    {
        var environment = new Dictionary<string, string?>
        {
            ["VOUCH_DATABASE"] = await postgres.Server.CreateDatabaseAsync(),
            ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };

        // Started together, so that both race to create the first keys.
        var starts = await Task.WhenAll(
            ServerProcess.StartAsync(_directory.Path, [], environment),
            ServerProcess.StartAsync(_directory.Path, [], environment));
        await using var a = starts[0];
        await using var b = starts[1];

        using var client = new HttpClient();
        var jwksA = await client.GetStringAsync(a.Issuer + "/.well-known/jwks.json");
        var jwksB = await client.GetStringAsync(b.Issuer + "/.well-known/jwks.json");
        Assert.Equal(jwksA, jwksB);
        Assert.Equal(2, JsonDocument.Parse(jwksA).RootElement.GetProperty("keys").GetArrayLength());
    }
}
