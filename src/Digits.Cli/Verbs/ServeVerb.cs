using CommandLine;
using Digits.Cli.Commands;

namespace Digits.Cli.Verbs;

[Verb("serve", HelpText = "Start a local web page: draw a digit or drop a photo and see the model's ten probabilities.")]
internal sealed class ServeVerb
{
    /// <summary>Said under the flags in <c>digits serve --help</c>.</summary>
    public static string Notes =>
        "The page (the URL printed at start) has a canvas to draw on with mouse or finger — the probabilities update as " +
        "you draw — a photo picker and drop zone, and the 28×28 image the model gets. The model is loaded once and runs " +
        "on the cpu. A bad image gets a one-line message. The server answers only requests that name it in their Host " +
        "header and, from a browser, only its own page (no other site can use it), and every answer says nosniff. " +
        "With --host 0.0.0.0 it listens on every interface and prints the addresses to open from other machines. " +
        ServeLimits.Text + " Stop with Ctrl+C (exit code 130).";

    [Option("model", Required = true, MetaValue = "FILE", HelpText = "The model file written by digits train.")]
    [Topic("Model")]
    public string Model { get; set; } = "";

    [Option("host", MetaValue = "ADDRESS", HelpText = "The address to listen on (127.0.0.1: only this machine can open the page; 0.0.0.0: every interface, with a warning).")]
    [Topic("Server", "127.0.0.1")]
    public string Host { get; set; } = "127.0.0.1";

    [Option("port", HelpText = "The TCP port to listen on (0: any free port; the URL is printed).")]
    [Topic("Server", "5080")]
    public int Port { get; set; } = 5080;

    [Option("collect", MetaValue = "DIR", HelpText = "Add a 'save as' button per class under the drawing: it saves the drawing as DIR/<class>/<time>.png, a folder dataset for digits train --init MODEL --dataset folder:DIR (draw ten of each digit, then fine-tune on your own handwriting).")]
    [Topic("Server", "off")]
    public string? Collect { get; set; }

    [Option("threads", HelpText = "CPU threads for the model (0 = every core).")]
    [Topic("Device", "1", Expected = "a whole number ≥ 0")]
    public int? Threads { get; set; }
}
