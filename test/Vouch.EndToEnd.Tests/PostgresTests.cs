using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>Test classes that share one real PostgreSQL cluster for the run.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresTests : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
