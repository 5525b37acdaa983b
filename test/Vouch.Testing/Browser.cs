using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Vouch.Testing;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, headless) started as our own process and driven through
/// Microsoft.Playwright over CDP: no browser download, stopped by its PID on dispose. One per test project (a
/// collection fixture); each test takes a fresh context with <see cref="NewPageAsync"/>.
/// </summary>
public sealed partial class Browser : IAsyncDisposable
{
    /// <summary>Where Debian's <c>chromium</c> package puts the browser (scripts/install-test-deps.sh installs it).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly TemporaryDirectory _profile;
    private readonly IPlaywright _playwright;

    private Browser(Process process, TemporaryDirectory profile, IPlaywright playwright, IBrowser browser, TimeSpan startTime)
    {
        _process = process;
        _profile = profile;
        _playwright = playwright;
        Chromium = browser;
        StartTime = startTime;
    }

    /// <summary>The connected browser.</summary>
    public IBrowser Chromium { get; }

    /// <summary>How long Chromium and the Playwright driver took to start and connect.</summary>
    public TimeSpan StartTime { get; }

    public int Pid => _process.Id;

    /// <summary>Starts Chromium; fails loudly (with what Chromium printed) when it cannot start.</summary>
    public static async Task<Browser> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new FileNotFoundException($"{ChromiumPath} is missing: run scripts/install-test-deps.sh (./test.sh does)", ChromiumPath);
        var clock = Stopwatch.StartNew();
        var profile = new TemporaryDirectory("vouch-chromium-");
        var process = ProcessRunner.Start(ChromiumPath,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage",
            // Names other than localhost resolve nowhere: a page of a test can never reach out.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1",
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", $"--user-data-dir={profile.Path}",
            "about:blank",
        ]);
        var output = new StringBuilder();
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { endpoint.TrySetException(new InvalidOperationException($"chromium closed its output:\n{Text()}")); return; }
            lock (output) output.AppendLine(e.Data);
            if (DevToolsLine().Match(e.Data) is { Success: true } match) endpoint.TrySetResult(match.Groups[1].Value);
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        string Text() { lock (output) return output.ToString(); }

        IPlaywright? playwright = null;
        try
        {
            var ws = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(30));
            playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.ConnectOverCDPAsync(ws);
            return new Browser(process, profile, playwright, browser, clock.Elapsed);
        }
        catch (TimeoutException)
        {
            Stop(process, playwright, profile);
            throw new TimeoutException($"chromium did not open its DevTools endpoint in 30 s:\n{Text()}");
        }
        catch (PlaywrightException e)
        {
            Stop(process, playwright, profile);
            throw new InvalidOperationException($"Playwright could not connect to chromium ({e.Message}):\n{Text()}", e);
        }
    }

    /// <summary>A page in a fresh browser context (its own cookies and storage) with the given base URL.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in Chromium.Contexts) await context.CloseAsync();
        Stop(_process, _playwright, _profile);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void Stop(Process process, IPlaywright? playwright, TemporaryDirectory profile)
    {
        playwright?.Dispose();
        if (!process.HasExited) ProcessRunner.Terminate(process.Id);
        if (!process.WaitForExit(TimeSpan.FromSeconds(10))) ProcessRunner.Signal(process.Id, "KILL");
        process.WaitForExit();
        profile.Dispose();
    }

    [GeneratedRegex(@"^DevTools listening on (ws://\S+)$")]
    private static partial Regex DevToolsLine();
}
