namespace Pdp.Audit.Format;

/// <summary>One line of a trail file, with the byte positions needed to cut a torn tail exactly.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Offset">Byte offset of the line's first byte.</param>
/// <param name="Bytes">The line without its terminating <c>\n</c>.</param>
/// <param name="Terminated">Whether a <c>\n</c> ended the line; only the last line of a file can lack one.</param>
/// <param name="IsLast">Whether nothing follows this line in the file.</param>
internal sealed record RawLine(long Number, long Offset, byte[] Bytes, bool Terminated, bool IsLast);

/// <summary>
/// Splits a file into lines on <c>\n</c> by bytes, not text, so offsets are exact and invalid UTF-8 surfaces as a
/// JSON error on the line that has it rather than as a decoder error for the whole file.
/// </summary>
internal static class LineReader
{
    public static IEnumerable<RawLine> Read(string path) => Read(path, 0, 0);

    /// <summary>
    /// The lines from byte <paramref name="offset"/> on (which must start a line), numbered after
    /// <paramref name="linesBefore"/>: a checkpoint names where its suffix starts, so start-up reads only that.
    /// </summary>
    public static IEnumerable<RawLine> Read(string path, long offset, long linesBefore)
    {
        // ReadWrite|Delete sharing: the writer may hold the file open, or rotate it, while a reader runs.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[64 * 1024];
        using var current = new MemoryStream();
        RawLine? pending = null; // held back one line so IsLast can be known
        long number = linesBefore;
        long lineOffset = offset;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            while (start < read)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                if (newline < 0)
                {
                    current.Write(buffer, start, read - start);
                    break;
                }

                current.Write(buffer, start, newline - start);
                var bytes = current.ToArray();
                current.SetLength(0);
                if (pending is not null)
                {
                    yield return pending;
                }

                pending = new RawLine(++number, lineOffset, bytes, Terminated: true, IsLast: false);
                lineOffset += bytes.Length + 1;
                start = newline + 1;
            }
        }

        if (current.Length > 0)
        {
            if (pending is not null)
            {
                yield return pending;
            }

            yield return new RawLine(++number, lineOffset, current.ToArray(), Terminated: false, IsLast: true);
        }
        else if (pending is not null)
        {
            yield return pending with { IsLast = true };
        }
    }
}
