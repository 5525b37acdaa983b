using System.Formats.Cbor;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// A request's CBOR map, its values kept encoded until a handler asks for one with the type it expects. Keys are
/// the integers of the top-level maps or the strings of nested ones (<c>rp</c>, <c>user</c>, <c>options</c>).
/// </summary>
public sealed class CborMap<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, ReadOnlyMemory<byte>> _values;

    internal CborMap(Dictionary<TKey, ReadOnlyMemory<byte>> values) => _values = values;


    public bool Contains(TKey key) => _values.ContainsKey(key);

    public ReadOnlyMemory<byte>? Raw(TKey key) => _values.TryGetValue(key, out var value) ? value : (ReadOnlyMemory<byte>?)null;

    public byte[]? Bytes(TKey key) => Get(key, r => r.ReadByteString());

    public string? Text(TKey key) => Get(key, r => r.ReadTextString());

    public long? Number(TKey key) => Get(key, r => (long?)r.ReadInt64());

    public bool? Boolean(TKey key) => Get(key, r => (bool?)r.ReadBoolean());

    public CborMap<string>? TextMap(TKey key) => Raw(key) is { } raw ? CborMap.Read(raw, r => r.ReadTextString()) : null;

    public CborMap<int>? IntegerMap(TKey key) => Raw(key) is { } raw ? CborMap.Read(raw, r => r.ReadInt32()) : null;

    /// <summary>The maps in an array value (<c>pubKeyCredParams</c>, <c>allowList</c>, <c>excludeList</c>).</summary>
    public IReadOnlyList<CborMap<string>>? ArrayOfMaps(TKey key) => Get(key, r =>
    {
        var items = new List<CborMap<string>>();
        r.ReadStartArray();
        while (r.PeekState() != CborReaderState.EndArray)
            items.Add(CborMap.Read(r.ReadEncodedValue(), k => k.ReadTextString()));
        r.ReadEndArray();
        return items;
    });

    public T Required<T>(TKey key, Func<TKey, T?> get) where T : class =>
        get(key) ?? throw new CtapRequestException(CtapStatus.MissingParameter);

    public long RequiredNumber(TKey key) => Number(key) ?? throw new CtapRequestException(CtapStatus.MissingParameter);

    private T? Get<T>(TKey key, Func<CborReader, T> read) =>
        _values.TryGetValue(key, out var value) ? Guard(() => read(new CborReader(value, CborConformanceMode.Lax))) : default;

    internal static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            throw new CtapRequestException(CtapStatus.CborUnexpectedType);
        }
        catch (CborContentException)
        {
            throw new CtapRequestException(CtapStatus.InvalidCbor);
        }
    }
}

/// <summary>Reads the maps of a CTAP request.</summary>
public static class CborMap
{
    public static CborMap<TKey> Read<TKey>(ReadOnlyMemory<byte> encoded, Func<CborReader, TKey> readKey) where TKey : notnull
    {
        var values = new Dictionary<TKey, ReadOnlyMemory<byte>>();
        CborMap<TKey>.Guard(() =>
        {
            var reader = new CborReader(encoded, CborConformanceMode.Lax);
            reader.ReadStartMap();
            while (reader.PeekState() != CborReaderState.EndMap)
            {
                var key = readKey(reader);
                values[key] = reader.ReadEncodedValue();
            }
            reader.ReadEndMap();
            return 0;
        });
        return new CborMap<TKey>(values);
    }
}
