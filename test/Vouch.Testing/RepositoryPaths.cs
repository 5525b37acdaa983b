namespace Vouch.Testing;

/// <summary>Locates the repository (the folder with Vouch.slnx) and what the build put in it.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string PeersDirectory => Path.Combine(Root, "test", "peers");

    /// <summary>The published server, as <c>./build.sh</c> leaves it; the tests that run it fail loudly without it.</summary>
    public static string ServerBinary
    {
        get
        {
            var path = Path.Combine(Root, "artifacts", "bin", "vouch-server");
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} is missing: run ./build.sh (./test.sh does) before these tests", path);
            return path;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no Vouch.slnx above {AppContext.BaseDirectory}");
    }
}
