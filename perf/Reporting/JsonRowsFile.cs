using System.Text.Json;

namespace FastIova.Perf.Reporting;

/// <summary>
/// Writes result rows as a JSON array of flat objects with <see cref="Utf8JsonWriter"/>: no reflection, so the
/// trimmed single-file build writes the same files.
/// </summary>
internal static class JsonRowsFile
{
    /// <summary>Writes one object per row; <paramref name="writeFields"/> writes the fields of one row.</summary>
    public static void Write<T>(string path, IEnumerable<T> rows, Action<Utf8JsonWriter, T> writeFields)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using FileStream stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartArray();
        foreach (T row in rows)
        {
            writer.WriteStartObject();
            writeFields(writer, row);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
