namespace Vouch.Server.Persistence;

/// <summary>
/// One compiled query (<c>EF.CompileAsyncQuery</c>) per database provider: a compiled query keeps the SQL of the
/// first context it ran on, and a process (the tests) may use both providers. Compiling once saves EF Core the
/// walk and cache lookup of the query's expression tree on every call, which is most of a small query's CPU.
/// </summary>
internal sealed class ProviderCompiled<TQuery>(Func<TQuery> compile) where TQuery : Delegate
{
    private readonly TQuery _sqlite = compile();
    private readonly TQuery _postgres = compile();

    /// <summary>The query compiled for <paramref name="db"/>'s provider.</summary>
    public TQuery For(VouchDbContext db) => db switch
    {
        SqliteVouchDbContext => _sqlite,
        PostgresVouchDbContext => _postgres,
        _ => throw new NotSupportedException($"no compiled query for {db.GetType().Name}"),
    };
}
