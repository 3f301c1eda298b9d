// The speed part of the page: runs speed-worker.js and fills a table, one row per contender and one
// column per workload: milliseconds per call, the speed-up over plain JavaScript, GFLOP/s for GEMM.

const $ = (id) => document.getElementById(id);

export function setupSpeed() {
  let worker = null;
  const baseline = new Map(); // workload → plain JS ms
  const workloads = [];
  const rows = new Map();

  function cell(contender, workload) {
    if (!workloads.includes(workload)) {
      workloads.push(workload);
      const th = document.createElement("th");
      th.textContent = workload;
      $("speed-head").append(th);
      for (const row of rows.values()) row.append(document.createElement("td"));
    }
    let row = rows.get(contender);
    if (!row) {
      row = document.createElement("tr");
      const th = document.createElement("th");
      th.textContent = contender;
      row.append(th, ...workloads.map(() => document.createElement("td")));
      rows.set(contender, row);
      $("speed-body").append(row);
    }
    return row.children[1 + workloads.indexOf(workload)];
  }

  function start(quick) {
    worker?.terminate();
    baseline.clear();
    workloads.length = 0;
    rows.clear();
    $("speed-head").replaceChildren(Object.assign(document.createElement("th"), { textContent: "" }));
    $("speed-body").replaceChildren();
    $("speed-status").textContent = `running the ${quick ? "quick" : "full"} benchmark…`;
    $("speed-status").dataset.state = "running";
    worker = new Worker(new URL("./speed-worker.js", import.meta.url), { type: "module", name: "speed" });
    worker.onerror = (event) => finish(`error: ${event.message}`);
    worker.onmessage = ({ data: m }) => {
      if (m.type === "result") {
        const td = cell(m.contender, m.workload);
        if (m.ms === undefined) {
          td.textContent = `wrong output (rel. error ${m.error.toExponential(1)})`;
          td.className = "wrong";
          return;
        }
        if (m.contender === "plain JavaScript") baseline.set(m.workload, m.ms);
        const base = baseline.get(m.workload);
        td.textContent = `${m.ms.toPrecision(3)} ms${base ? ` · ${(base / m.ms).toFixed(1)}×` : ""}${m.gflops ? ` · ${m.gflops.toFixed(1)} GFLOP/s` : ""}`;
        td.dataset.ms = String(m.ms);
        if (m.note) td.title = m.note;
      } else if (m.type === "done") finish("done: median time per call, speed-up over plain JavaScript");
      else if (m.type === "error") finish(`error: ${m.message}`);
    };
    worker.postMessage({ type: "run", quick });
  }
  function finish(text) {
    $("speed-status").textContent = text;
    $("speed-status").dataset.state = text.startsWith("error") ? "error" : "finished";
    worker?.terminate();
    worker = null;
  }
  $("speed-quick").addEventListener("click", () => start(true));
  $("speed-full").addEventListener("click", () => start(false));
}
