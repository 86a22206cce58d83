using System.Runtime.InteropServices;

namespace Pdp.LoadGen.Reporting;

/// <summary>The machine a report was measured on: processors, CPU model, memory, OS and .NET.</summary>
internal sealed record MachineInfo(int Processors, string CpuModel, double MemoryGiB, string Os, string Runtime, string LoadAverage)
{
    /// <summary>The 1, 5 and 15 minute load averages when the run ended: anything well above the generator's and server's own share means other work competed for the CPUs.</summary>
    public static string ReadLoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        ProcValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        ProcValue("/proc/meminfo", "MemTotal") is { } mem && long.TryParse(mem.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var kb) ? Math.Round(kb / 1048576.0, 1) : 0,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        ReadLoadAverage());

    public override string ToString() => $"{Processors} CPUs ({CpuModel}), {MemoryGiB} GiB, {Os}, {Runtime}; load average at the end {LoadAverage}";

    private static string? ProcValue(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim() == key)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
