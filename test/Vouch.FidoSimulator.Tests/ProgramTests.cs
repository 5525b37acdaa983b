using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class ProgramTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vouch-fido-program-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_program_listens_on_its_socket_and_writes_the_root_its_attestation_chains_to()
    {
        var socketPath = Path.Combine(_directory, "key.sock");
        var rootFile = Path.Combine(_directory, "root.pem");
        var aaguid = Guid.NewGuid();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Vouch.FidoSimulator.dll"), "--socket", socketPath, "--write-root", rootFile, "--aaguid", aaguid.ToString() })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        try
        {
            // The root is written after the socket listens, so it says the simulator is ready.
            for (var waited = 0; !File.Exists(rootFile) || new FileInfo(rootFile).Length == 0; waited += 50)
            {
                if (process.HasExited)
                    Assert.Fail("the simulator exited: " + await process.StandardError.ReadToEndAsync());
                Assert.True(waited < 20_000, "the simulator did not start within 20 s");
                await Task.Delay(50);
            }
            using var client = await HidClient.ConnectAsync(socketPath);
            await client.InitAsync();

            var made = MadeCredential.From(await Platform.MakeCredentialAsync(client, SHA256.HashData("register"u8)));

            Assert.Equal(aaguid, made.Aaguid);
            using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(rootFile));
            MadeCredential.AssertChainsTo(made, root);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
