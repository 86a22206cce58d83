namespace Pdp.Cli;

/// <summary>The streams a command reads and writes, so tests can run the tool in-process.</summary>
internal sealed record CliIo(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>Writes a one-line error to standard error, prefixed with the tool's name.</summary>
    public void Fail(string message) => Error.WriteLine("pdp: " + message);
}
