"""Follow the estimate of the damping ζ through training, from its starting guess to the
value the measurements and the equation agree on, beside the network's curve."""
from __future__ import annotations

from generator.widget_api import rounded, sig

ARGS = {
    "run": {"type": "run", "help": "a run that learns ζ: series zeta, snapshots of prediction"},
}

DATA = {
    "zeta_true": "float",
    "step": "int[]",
    "zeta": "float[]",
    "grid": "float[]",
    "truth": "float[]",
    "observations": {"t": "float[]", "u": "float[]"},
    "snapshot_steps": "int[]",
    "prediction": "float[][]",
}


def export(records, args):
    rec = records[args["run"]]
    const, series, snaps = rec["constants"], rec["series"], rec["snapshots"]
    if "zeta" not in series:
        raise ValueError(f"run '{args['run']}' does not learn ζ (it logs no 'zeta' series)")
    return {
        "zeta_true": const["zeta"],
        "step": series["step"],
        "zeta": [sig(z, 5) for z in series["zeta"]],
        "grid": rounded(const["grid"], 4),
        "truth": rounded(const["truth"], 3),
        "observations": {"t": rounded(const["t_obs"], 4), "u": rounded(const["u_obs"], 3)},
        "snapshot_steps": snaps["step"],
        "prediction": rounded(snaps["prediction"], 3),
    }


def describe(data):
    start, end, true = data["zeta"][0], data["zeta"][-1], data["zeta_true"]
    return (f"Left: the estimate of ζ over {data['step'][-1]:,} training steps, from {start:.3g} to {end:.4g}, "
            f"against the true value {true:g} ({100 * abs(end - true) / true:.1f}% off at the end). Right: the "
            f"network's final curve over the {len(data['observations']['t'])} measurements and the exact solution.")


def figure(data, palette):
    import matplotlib.pyplot as plt

    fig, (zeta_ax, fit_ax) = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    zeta_ax.plot(data["step"], data["zeta"], color=palette["model"], linewidth=1.8, label="estimate of ζ")
    zeta_ax.axhline(data["zeta_true"], color=palette["truth"], linestyle="--", linewidth=1.3,
                    label=f"true ζ = {data['zeta_true']:g}")
    zeta_ax.set_xlabel("training step")
    zeta_ax.set_ylabel("ζ")
    zeta_ax.legend(fontsize=8, frameon=False)
    fit_ax.plot(data["grid"], data["truth"], color=palette["truth"], linestyle="--", linewidth=1.3,
                label="exact solution")
    fit_ax.plot(data["grid"], data["prediction"][-1], color=palette["model"], linewidth=1.8, label="network")
    fit_ax.scatter(data["observations"]["t"], data["observations"]["u"], s=10, color=palette["train"], zorder=3,
                   label="measurements")
    fit_ax.set_xlabel("t")
    fit_ax.set_ylabel("u(t)")
    fit_ax.legend(loc="lower left", fontsize=8, frameon=False)
    for ax in (zeta_ax, fit_ax):
        ax.grid(True, linewidth=0.5)
    return fig
