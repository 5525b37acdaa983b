namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// The user's finger: asks for a touch by sending KEEPALIVE UPNEEDED every 100 ms (CTAPHID wants one at least that
/// often) until the touch comes (<see cref="SimulatorOptions.TouchAfter"/>) or the wait times out.
/// </summary>
internal sealed class UserPresence(SimulatorOptions options)
{
    private static readonly TimeSpan KeepaliveInterval = TimeSpan.FromMilliseconds(100);

    private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the key first asks for a touch (its first KEEPALIVE UPNEEDED has been sent).</summary>
    public Task Waiting => _waiting.Task;

    /// <summary>True when touched; false on USER_ACTION_TIMEOUT. A CANCEL throws <see cref="OperationCanceledException"/>.</summary>
    public async Task<bool> WaitForTouchAsync(CommandContext context)
    {
        var time = options.TimeProvider;
        var started = time.GetTimestamp();
        while (true)
        {
            var waited = time.GetElapsedTime(started);
            if (options.TouchAfter is { } touchAfter && waited >= touchAfter)
                return true;
            if (waited >= options.TouchTimeout)
                return false;
            await context.SendKeepaliveAsync(Hid.CtapHid.StatusUpNeeded);
            _waiting.TrySetResult();
            await Task.Delay(KeepaliveInterval, time, context.Cancellation);
        }
    }
}
