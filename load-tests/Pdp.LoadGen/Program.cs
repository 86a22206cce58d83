using Pdp.LoadGen;
using Pdp.LoadGen.Scenarios;

// Exit codes: 0 every call succeeded, 2 some calls failed (or a scenario was aborted), 1 bad usage or no server.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(LoadGenOptions.Usage);
    Console.WriteLine();
    Console.WriteLine("Scenarios:");
    Console.WriteLine(ScenarioCatalog.Describe());
    return 0;
}

LoadGenOptions options;
try
{
    options = LoadGenOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"pdp-loadgen: {e.Message}").ConfigureAwait(false);
    await Console.Error.WriteLineAsync(LoadGenOptions.Usage).ConfigureAwait(false);
    return 1;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

try
{
    var report = await LoadGenerator.RunAsync(options, "pdp-loadgen " + string.Join(' ', args), Console.Out, interrupt.Token).ConfigureAwait(false);
    Console.WriteLine();
    Console.Write(report.ToTable());
    var files = report.Write(options.OutputDirectory);
    if (!options.Quiet)
    {
        Console.WriteLine($"reports: {string.Join(", ", files)}");
    }

    return report.TotalErrors == 0 && report.Scenarios.All(s => !s.Aborted) ? 0 : 2;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or DirectoryNotFoundException or OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"pdp-loadgen: {e.Message}").ConfigureAwait(false);
    return 1;
}
