namespace Vouch.Server.Keys;

/// <summary>Where a key stands at a given moment.</summary>
public enum KeyStatus
{
    /// <summary>Published, will sign from its activation time.</summary>
    Next,

    /// <summary>Signs every new token.</summary>
    Current,

    /// <summary>No longer signs; still published until the tokens it signed have expired.</summary>
    Retired,

    /// <summary>No longer published; may be deleted.</summary>
    Expired,
}

/// <summary>What the key schedule needs to know of a key: its identity and when it starts signing.</summary>
public interface IScheduledKey
{
    string Kid { get; }
    int Generation { get; }
    DateTimeOffset ActivatesAt { get; }
}

/// <summary>
/// An immutable set of signing keys. Which key signs is a function of the clock alone (the latest activation
/// time that has passed), so every instance holding the same keys signs with the same key at the same moment.
/// </summary>
public sealed class KeySchedule<TKey> where TKey : class, IScheduledKey
{
    public KeySchedule(IEnumerable<TKey> keys) =>
        Keys = keys.OrderBy(k => k.ActivatesAt).ThenBy(k => k.Generation).ToArray();

    /// <summary>All keys, in activation order.</summary>
    public IReadOnlyList<TKey> Keys { get; }

    public TKey? CurrentAt(DateTimeOffset now) => Keys.LastOrDefault(k => k.ActivatesAt <= now);

    public KeyStatus StatusAt(TKey key, DateTimeOffset now)
    {
        if (key.ActivatesAt > now) return KeyStatus.Next;
        if (ReferenceEquals(key, CurrentAt(now))) return KeyStatus.Current;
        return now < RetiredAt(key)!.Value + KeyPolicy.RetiredRetention ? KeyStatus.Retired : KeyStatus.Expired;
    }

    /// <summary>When <paramref name="key"/> stops signing (its successor's activation), or null if none is set.</summary>
    public DateTimeOffset? RetiredAt(TKey key)
    {
        var index = IndexOf(key);
        return index + 1 < Keys.Count ? Keys[index + 1].ActivatesAt : null;
    }

    /// <summary>The keys a verifier needs: the current key first, then the next keys, then the retired ones.</summary>
    public IReadOnlyList<TKey> PublishedAt(DateTimeOffset now)
    {
        var current = CurrentAt(now);
        var published = new List<TKey>(Keys.Count);
        if (current is not null) published.Add(current);
        published.AddRange(Keys.Where(k => k.ActivatesAt > now));
        published.AddRange(Keys.Where(k => StatusAt(k, now) == KeyStatus.Retired).Reverse());
        return published;
    }

    /// <summary>The next moment after <paramref name="now"/> at which <see cref="PublishedAt"/> changes.</summary>
    public DateTimeOffset NextChangeAfter(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        foreach (var key in Keys)
        {
            if (key.ActivatesAt > now && key.ActivatesAt < next) next = key.ActivatesAt;
            if (RetiredAt(key) is { } retired && retired + KeyPolicy.RetiredRetention is var end && end > now && end < next) next = end;
        }
        return next;
    }

    private int IndexOf(TKey key)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (ReferenceEquals(Keys[i], key)) return i;
        }
        throw new ArgumentException($"key {key.Kid} is not in this ring", nameof(key));
    }
}
