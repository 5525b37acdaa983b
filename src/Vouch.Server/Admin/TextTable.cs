namespace Vouch.Server.Admin;

/// <summary>
/// Rows of text printed in aligned columns (two spaces apart, the last column not padded), under a header of
/// capitals, as the admin commands print lists for people.
/// </summary>
internal sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = [header];

    public TextTable Add(params string[] cells)
    {
        if (cells.Length != header.Length) throw new ArgumentException($"a row needs {header.Length} cells", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    /// <summary>Writes the header and the rows, each line after <paramref name="indent"/>.</summary>
    public void WriteTo(TextWriter writer, string indent = "")
    {
        var widths = Enumerable.Range(0, header.Length).Select(i => _rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in _rows)
            writer.WriteLine(indent + string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
    }
}
