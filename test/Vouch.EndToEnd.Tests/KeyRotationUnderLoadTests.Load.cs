using System.Diagnostics;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

// The workers that mint and trade tokens while the keys rotate.
public sealed partial class KeyRotationUnderLoadTests
{
    /// <summary>One worker: mint a token, trade it with RGW, have jose verify it; again until the round stops.</summary>
    private async Task WorkAsync(Load load, int worker)
    {
        var email = $"worker{worker}@example.com";
        while (!load.Stopping)
        {
            MintedToken minted;
            WebIdentityAnswer answer;
            await load.Gate.WaitAsync();
            try
            {
                var at = _time.GetUtcNow();
                var issued = Issue(email);
                minted = new MintedToken(Interlocked.Increment(ref _sequence), load.Round, at, issued.Kid, issued.Token);
                load.CountMinted();
                answer = await world.Rgw.AssumeRoleWithWebIdentityAsync(_role, minted.Token, $"worker{worker}");
            }
            finally
            {
                load.Gate.Release();
            }
            _tokens.Enqueue(minted);
            if (!answer.Issued)
                _failures.Enqueue($"round {load.Round}, token {minted.Sequence} of {minted.Kid}: RGW {answer.Error ?? "gave no credentials"}");
            if (await JoseProblemAsync(minted.Token, minted.Kid) is { } problem)
                _failures.Enqueue($"round {load.Round}, token {minted.Sequence} of {minted.Kid}: jose {problem}");
        }
    }

    /// <summary>The workers of one round. Each holds the gate from minting a token until RGW has answered for it.</summary>
    private sealed class Load
    {
        private readonly Task[] _workers;
        private int _minted;
        private volatile bool _stopping;

        public Load(KeyRotationUnderLoadTests test, int round)
        {
            Round = round;
            _workers = Enumerable.Range(1, Workers).Select(w => Task.Run(() => test.WorkAsync(this, w))).ToArray();
        }

        public int Round { get; }
        public SemaphoreSlim Gate { get; } = new(Workers, Workers);
        public bool Stopping => _stopping;
        public int Minted => Volatile.Read(ref _minted);

        public void CountMinted() => Interlocked.Increment(ref _minted);

        /// <summary>Runs <paramref name="step"/> while no worker is between minting a token and RGW's answer.</summary>
        public async Task PausedAsync(Func<Task> step)
        {
            for (var i = 0; i < Workers; i++) await Gate.WaitAsync();
            try
            {
                await step();
            }
            finally
            {
                Gate.Release(Workers);
            }
        }

        public async Task WaitForMintedAsync(int count)
        {
            var waiting = Stopwatch.StartNew();
            while (Minted < count)
            {
                if (_workers.FirstOrDefault(w => w.IsCompleted) is { } ended) await ended;
                Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(60), $"round {Round}: the workers minted {Minted} tokens, not {count}");
                await Task.Delay(10);
            }
        }

        public async Task StopAsync()
        {
            _stopping = true;
            await Task.WhenAll(_workers);
            Gate.Dispose();
        }
    }
}
