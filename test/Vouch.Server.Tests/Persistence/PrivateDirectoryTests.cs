using Vouch.Server.Persistence;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

/// <summary>
/// Every folder the server creates for its database is 0700, the missing parents too: in process (any umask but
/// 077 would leave a parent open), and the published server under <c>umask 000</c>.
/// </summary>
public sealed class PrivateDirectoryTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Every_missing_folder_is_created_owner_only_and_existing_ones_are_left_alone()
    {
        var before = File.GetUnixFileMode(_directory.Path);

        PrivateDirectory.Create(_directory.File("new1/new2/new3"));

        Assert.Equal(before, File.GetUnixFileMode(_directory.Path));
        Assert.All(["new1", "new1/new2", "new1/new2/new3"], folder => Assert.Equal(OwnerOnly, File.GetUnixFileMode(_directory.File(folder))));
    }

    [Fact]
    public async Task Under_umask_000_serve_creates_every_missing_folder_of_the_database_0700()
    {
        var issuer = $"http://127.0.0.1:{FreePort.Next()}";
        using var server = ProcessRunner.Start("bash",
            ["-c", "umask 000; exec \"$0\" \"$@\"", RepositoryPaths.ServerBinary,
             "serve", "--issuer", issuer, "--development", "--database", _directory.File("new1/new2/vouch.db")],
            workingDirectory: _directory.Path);
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            for (var deadline = DateTime.UtcNow.AddSeconds(90); ; await Task.Delay(200))
            {
                Assert.False(server.HasExited, "the server exited");
                Assert.True(DateTime.UtcNow < deadline, "the server did not answer /healthz");
                try
                {
                    if ((await client.GetAsync(issuer + "/healthz")).IsSuccessStatusCode) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
            }
        }
        finally
        {
            ProcessRunner.Terminate(server.Id);
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(_directory.File("new1")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(_directory.File("new1/new2")));
    }
}
