using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Pdp.Cli.Commands;

namespace Pdp.Cli;

/// <summary>
/// Entry point of the <c>pdp</c> tool: <c>check</c>, <c>eval</c> and <c>test</c> a policy directory,
/// <c>replay</c> a recorded audit trail against one, and <c>audit verify</c> a trail.
/// Exit codes are those of <see cref="ExitCodes"/>; a parse error is a usage error (2), not the 1
/// System.CommandLine would return by default, so scripts can tell "the check failed" from "the
/// command was wrong".
/// </summary>
public static class PdpCli
{
    /// <summary>Runs the tool with standard input as <see cref="Console.In"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, Console.In, stdout, stderr);

    /// <summary>Runs the tool reading <c>--input -</c> from <paramref name="stdin"/>.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var io = new CliIo(stdin, stdout, stderr);
        var root = new RootCommand("pdp: check, evaluate and test a Pdp policy directory (policies/*.js, data/*.json, *.test.json), replay a recorded audit trail against it, verify a trail, and report on it for sign-off.")
        {
            CheckCommand.Create(io),
            EvalCommand.Create(io),
            TestCommand.Create(io),
            ReplayCommand.Create(io),
            AuditCommand.Create(io),
            TokenCommand.Create(io),
            ReportCommand.Create(io),
        };

        // Help shows "pdp" whatever process hosts the tool (dotnet run, a test runner).
        root.HelpName = "pdp";

        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                io.Fail(error.Message);
            }

            stderr.WriteLine($"Run 'pdp {VerbPath(parsed.CommandResult, root)}--help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a verdict on the policies: the tool itself could not finish.
            io.Fail($"internal error: {e}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>The verbs leading to <paramref name="result"/> (<c>audit verify </c>), or empty for the root.</summary>
    private static string VerbPath(CommandResult result, RootCommand root)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is CommandResult command && command.Command != root; current = current.Parent)
        {
            names.Insert(0, command.Command.Name + " ");
        }

        return string.Concat(names);
    }
}
