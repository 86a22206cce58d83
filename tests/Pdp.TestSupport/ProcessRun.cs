using System.Diagnostics;

namespace Pdp.TestSupport;

/// <summary>What a program left when it exited: its exit code and everything it wrote.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both outputs, for a failure message.</summary>
    public string Output => Stdout + Stderr;
}

/// <summary>
/// Runs a program to its exit, both outputs read while it runs (a full pipe would stall it); one that outlives the
/// timeout is killed with its children, so a test that fails never leaves a server running.
/// </summary>
public static class ProcessRun
{
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ProcessResult(process.ExitCode, await stdout.WaitAsync(timeout), await stderr.WaitAsync(timeout));
    }

    /// <summary>The built server, <c>dotnet Pdp.Server.dll …</c> (the test project must reference Pdp.Server).</summary>
    public static Task<ProcessResult> ServerAsync(TimeSpan timeout, params string[] args) =>
        RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Pdp.Server.dll"), .. args], timeout);
}
