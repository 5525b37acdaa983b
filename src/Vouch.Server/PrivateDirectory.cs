namespace Vouch.Server;

/// <summary>Creates a folder for the server's files, and every missing folder above it, readable by the server's user only.</summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates <paramref name="path"/> and each missing parent 0700, whatever the umask: <see cref="Directory.CreateDirectory(string, UnixFileMode)"/>
    /// gives its mode to the last folder only, and the parents it makes get the umask's.
    /// </summary>
    public static void Create(string path)
    {
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
            missing.Push(folder);
        while (missing.TryPop(out var folder)) Directory.CreateDirectory(folder, OwnerOnly);
    }
}
