using Digits.Cli;

namespace Digits.Tests.Support;

/// <summary>Runs the <c>digits</c> command line in-process, as a user would type it, capturing both streams.</summary>
public static class DigitsCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
