using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;

namespace Vouch.Testing;

/// <summary>
/// Runs a property over inputs that an FsCheck generator makes from a fixed seed, one case at a time, each bounded
/// by <see cref="CaseTimeout"/>: the same seed gives the same cases on every run. A failing case (an assertion, an
/// unexpected exception, or a hang) fails with the property's name, the seed, the case number and the input, so
/// that it can be replayed and turned into a named regression test. <c>VOUCH_FUZZ_SEED</c> overrides every seed.
/// </summary>
public static class Fuzz
{
    /// <summary>How long one case may take before it counts as a hang.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a run did: its cases and how long they took.</summary>
    public sealed record Run(string Name, ulong Seed, int Cases, TimeSpan Elapsed)
    {
        public override string ToString() => $"fuzz {Name}: {Cases} cases in {Elapsed.TotalSeconds:0.00} s (seed {Seed})";
    }

    /// <summary>
    /// The <paramref name="count"/> inputs of <paramref name="generator"/> for <paramref name="seed"/>, sizes growing
    /// from 1 to <paramref name="maxSize"/> as FsCheck's own runner grows them.
    /// </summary>
    public static IReadOnlyList<T> Cases<T>(Gen<T> generator, ulong seed, int count, int maxSize = 100)
    {
        var cases = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            var size = 1 + (int)((long)i * (maxSize - 1) / Math.Max(1, count - 1));
            // Each case from its own seed, so that case i is the same whatever the count.
            var random = new Rnd(unchecked(Seed(seed) + (ulong)i * 0x9E3779B97F4A7C15UL));
            cases.Add(Gen.Sample(generator, 1, random, size).Single());
        }
        return cases;
    }

    /// <summary>Checks <paramref name="property"/> on every case of <paramref name="generator"/> (see <see cref="Cases"/>); <paramref name="describe"/> shows a failing input.</summary>
    public static async Task<Run> CheckAsync<T>(string name, ulong seed, int count, Gen<T> generator, Func<T, Task> property,
        Func<T, string>? describe = null, int maxSize = 100)
    {
        var cases = Cases(generator, seed, count, maxSize);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < cases.Count; i++)
        {
            var input = cases[i];
            Exception? failure;
            try
            {
                // Run off the test's synchronization context, so that a hang is a timeout, not a deadlock.
                await Task.Run(() => property(input)).WaitAsync(CaseTimeout);
                continue;
            }
            catch (TimeoutException e)
            {
                failure = new TimeoutException($"the case did not finish within {CaseTimeout.TotalSeconds} s", e);
            }
            // Whatever failed is rethrown, wrapped with the seed and the input that replay it.
            catch (Exception e)
            {
                failure = e;
            }
            var shown = describe?.Invoke(input) ?? input?.ToString() ?? "null";
            if (shown.Length > 2000) shown = shown[..2000] + $"... ({shown.Length} characters)";
            throw new FuzzFailureException($"fuzz {name} failed at case {i} of {count} (seed {Seed(seed)}; replay with VOUCH_FUZZ_SEED={Seed(seed)}): {failure.GetType().Name}: {failure.Message}\ninput: {shown}", failure);
        }
        return new Run(name, Seed(seed), count, watch.Elapsed);
    }

    /// <summary>
    /// Checks a synchronous <paramref name="property"/> (see <see cref="CheckAsync{T}"/>); named apart from it so that an
    /// async lambda can never become an <c>async void</c> property whose failures nobody sees.
    /// </summary>
    public static Task<Run> CheckEachAsync<T>(string name, ulong seed, int count, Gen<T> generator, Action<T> property,
        Func<T, string>? describe = null, int maxSize = 100) =>
        CheckAsync(name, seed, count, generator, input =>
        {
            property(input);
            return Task.CompletedTask;
        }, describe, maxSize);

    private static ulong Seed(ulong seed) =>
        ulong.TryParse(Environment.GetEnvironmentVariable("VOUCH_FUZZ_SEED"), out var overridden) ? overridden : seed;
}

/// <summary>A fuzz case that failed: the message carries the seed, the case number and the input.</summary>
public sealed class FuzzFailureException(string message, Exception inner) : Exception(message, inner);
