using System.Text.Json.Nodes;

namespace Pdp.Cli.Tests;

/// <summary>What one in-process run of the tool printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Lines(Out);

    public string[] ErrorLines => Lines(Error);

    /// <summary>Standard output parsed as the JSON object <c>pdp eval</c> prints.</summary>
    public JsonObject Json => JsonNode.Parse(Out)!.AsObject();

    /// <summary>Both streams, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs <see cref="PdpCli"/> in-process, capturing both writers.</summary>
internal static class Cli
{
    public static CliResult Run(params string[] args) => RunWithStdin(string.Empty, args);

    public static CliResult RunWithStdin(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = PdpCli.Run(args, input, output, error);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public static string RepositoryRoot() => Pdp.TestSupport.Repository.Root;

    public static string ShippedPolicies() => Path.Combine(RepositoryRoot(), "policies");
}

/// <summary>A fresh policy directory under the temp folder, deleted when the test ends.</summary>
internal sealed class TempPolicyDir : IDisposable
{
    public TempPolicyDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pdp-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A directory holding the files of a named <see cref="Scenarios"/> entry.</summary>
    public static TempPolicyDir With(string scenario)
    {
        var dir = new TempPolicyDir();
        dir.Write(Scenarios.Files(scenario));
        return dir;
    }

    public TempPolicyDir Write(IEnumerable<(string File, string Content)> files)
    {
        foreach (var (file, content) in files)
        {
            Write(file, content);
        }

        return this;
    }

    /// <summary>Writes a file relative to the directory and returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }
}
