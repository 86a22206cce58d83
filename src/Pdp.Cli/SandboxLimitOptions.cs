using System.CommandLine;
using Pdp.Evaluation;
using Pdp.Policies.Sandbox;

namespace Pdp.Cli;

/// <summary>
/// <c>--timeout-ms</c>, <c>--max-statements</c>, <c>--memory-bytes</c> and <c>--max-recursion</c>: the
/// sandbox limits, defaulting to the server's. Values are checked with <see cref="SandboxOptions.Validate"/>,
/// so the tool refuses exactly what the server's configuration would.
/// </summary>
internal sealed class SandboxLimitOptions
{
    private static readonly SandboxOptions Defaults = new();

    private readonly Option<int> _timeout = new("--timeout-ms")
    {
        Description = "CPU time one policy call may use on its thread, in milliseconds (the server's Sandbox:TimeoutMilliseconds). A busy machine does not cause a timeout, so a timeout here is one in production too.",
        DefaultValueFactory = _ => Defaults.TimeoutMilliseconds,
        HelpName = "MS",
    };

    private readonly Option<int> _statements = new("--max-statements")
    {
        Description = "Statements one policy call may execute.",
        DefaultValueFactory = _ => Defaults.MaxStatements,
        HelpName = "N",
    };

    private readonly Option<long> _memory = new("--memory-bytes")
    {
        Description = "Bytes one policy call may allocate.",
        DefaultValueFactory = _ => Defaults.MemoryLimitBytes,
        HelpName = "BYTES",
    };

    private readonly Option<int> _recursion = new("--max-recursion")
    {
        Description = "Deepest JavaScript call stack.",
        DefaultValueFactory = _ => Defaults.MaxRecursionDepth,
        HelpName = "N",
    };

    public void AddTo(Command command)
    {
        command.Add(_timeout);
        command.Add(_statements);
        command.Add(_memory);
        command.Add(_recursion);
    }

    /// <summary>The limits asked for, or null (after reporting why) when any is out of range.</summary>
    public SandboxOptions? Read(ParseResult parse, CliIo io)
    {
        var options = new SandboxOptions
        {
            TimeoutMilliseconds = parse.GetValue(_timeout),
            MaxStatements = parse.GetValue(_statements),
            MemoryLimitBytes = parse.GetValue(_memory),
            MaxRecursionDepth = parse.GetValue(_recursion),
        };
        var problems = options.Validate().ToArray();
        foreach (var problem in problems)
        {
            io.Fail(problem);
        }

        return problems.Length == 0 ? options : null;
    }

    /// <summary>The server's default evaluation settings under the given sandbox limits.</summary>
    public static EvaluationOptions Evaluation(SandboxOptions sandbox) => new() { Sandbox = sandbox, MaxPooledEngines = 2 };
}
