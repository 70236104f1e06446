// Drive the npm `wavespeed` client against the sandbox: its own upload helper (ticket + PUT),
// then run() with polling. Usage: node npm_edit.cjs BASE_URL API_KEY IMAGE_PATH
// (copied next to the throwaway node_modules by scripts/interop, so require() finds it).
const wavespeed = require("wavespeed");

async function main() {
  const [baseUrl, apiKey, image] = process.argv.slice(2);
  const client = new wavespeed.Client(apiKey, { baseUrl });
  const url = await client.upload(image);
  console.log(`upload: ${url}`);
  const uploaded = await fetch(url);
  if (!uploaded.ok) throw new Error(`uploaded file not served: HTTP ${uploaded.status}`);
  const output = await client.run(
    "wavespeed-ai/step1x-edit",
    { prompt: "make the sky purple", image: url },
    { timeout: 60, pollInterval: 0.2 },
  );
  console.log(`edit: ${JSON.stringify(output.outputs)}`);
  const edited = await fetch(output.outputs[0]);
  if (!edited.ok) throw new Error(`output not served: HTTP ${edited.status}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`FAILED: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  },
);
