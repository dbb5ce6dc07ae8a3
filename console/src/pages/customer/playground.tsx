// Try any of the four models: the form builds the same body any client sends, the server prices it
// (POST /v1/video/quote) before anything is charged, and the submit goes through POST /v1/videos.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { customerApi } from '../../api/customer.ts';
import { usd } from '../../api/http.ts';
import { ErrorNote, Field, Section } from '../../components/ui.tsx';
import { Progress, VideoPlayer } from '../../components/video-player.tsx';
import { useLiveVideo } from '../../live-video.ts';

const MODELS = {
  'wan2.7-t2v': 'Text to video',
  'wan2.7-i2v': 'Image to video (first frame)',
  'wan2.7-r2v': 'Reference images to video',
  'wan2.7-videoedit': 'Edit a video',
} as const;
type Model = keyof typeof MODELS;
const RATIOS = ['16:9', '9:16', '1:1', '4:3', '3:4'];

interface Form {
  model: Model;
  prompt: string;
  negativePrompt: string;
  resolution: '720P' | '1080P';
  duration: number;
  ratio: string;
  seed: string;
  /** i2v: the first frame's URL, when no file is picked. */
  frameUrl: string;
  /** r2v and videoedit: reference image URLs, one a line. */
  imageUrls: string;
  /** videoedit: the source video's URL. */
  videoUrl: string;
}

const INITIAL: Form = {
  model: 'wan2.7-t2v',
  prompt: '',
  negativePrompt: '',
  resolution: '720P',
  duration: 5,
  ratio: '16:9',
  seed: '',
  frameUrl: '',
  imageUrls: '',
  videoUrl: '',
};

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** The JSON body of the submit; `frame` is the picked first-frame file as a data: URI (for the quote). */
function jsonBody(form: Form, frame: string | null): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (form.model !== 'wan2.7-i2v') metadata.ratio = form.ratio;
  if (form.seed.trim() !== '') metadata.seed = Number(form.seed);
  if (form.negativePrompt.trim()) metadata.negative_prompt = form.negativePrompt;
  const body: Record<string, unknown> = { model: form.model, resolution: form.resolution, metadata };
  if (form.prompt.trim()) body.prompt = form.prompt;
  if (form.model !== 'wan2.7-videoedit') body.duration = form.duration;
  if (form.model === 'wan2.7-i2v') {
    const reference = frame ?? form.frameUrl.trim();
    if (reference) body.input_reference = reference;
  }
  if (form.model === 'wan2.7-r2v') metadata.input = { media: lines(form.imageUrls).map((url) => ({ type: 'reference_image', url })) };
  if (form.model === 'wan2.7-videoedit') body.images = [form.videoUrl.trim(), ...lines(form.imageUrls)].filter(Boolean);
  return body;
}

/** The create with the first-frame file itself, as multipart/form-data (as OpenAI's SDKs send it). */
function formBody(form: Form, file: File): FormData {
  const data = new FormData();
  data.set('model', form.model);
  if (form.prompt.trim()) data.set('prompt', form.prompt);
  if (form.negativePrompt.trim()) data.set('negative_prompt', form.negativePrompt);
  data.set('resolution', form.resolution);
  data.set('duration', String(form.duration));
  if (form.seed.trim() !== '') data.set('metadata[seed]', form.seed);
  data.set('input_reference', file);
  return data;
}

const readAsDataUrl = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

export default function Playground() {
  const [form, setForm] = useState<Form>(INITIAL);
  const [file, setFile] = useState<File | null>(null);
  const [frame, setFrame] = useState<string | null>(null);
  const [taskId, setTaskId] = useState<string | null>(null);
  const client = useQueryClient();
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  useEffect(() => {
    if (!file) return setFrame(null);
    let live = true;
    void readAsDataUrl(file).then((url) => live && setFrame(url));
    return () => {
      live = false;
    };
  }, [file]);

  // The quote follows the form as it is typed, a moment behind (compared as text: a new object every render would never settle).
  const bodyKey = useDeferredValue(JSON.stringify(jsonBody(form, form.model === 'wan2.7-i2v' ? frame : null)));
  const quote = useQuery({ queryKey: ['me', 'quote', bodyKey], queryFn: () => customerApi.quote(JSON.parse(bodyKey)), staleTime: 30_000 });

  const create = useMutation({
    mutationFn: () => customerApi.create(form.model === 'wan2.7-i2v' && file ? formBody(form, file) : jsonBody(form, null)),
    onSuccess: (video) => {
      setTaskId(video.id);
      void client.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const { video, via } = useLiveVideo(taskId);

  return (
    <>
      <h1>Playground</h1>
      <div className="grid">
        <Section title="Request">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <Field label="Model">
              {(id) => (
                <select id={id} value={form.model} onChange={(e) => set('model', e.target.value as Model)}>
                  {Object.entries(MODELS).map(([model, what]) => (
                    <option key={model} value={model}>
                      {model}: {what}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Prompt" hint={form.model === 'wan2.7-r2v' ? 'Name the references as [Image 1], [Image 2]…' : 'Up to 5,000 characters.'}>
              {(id) => <textarea id={id} rows={4} maxLength={5000} value={form.prompt} onChange={(e) => set('prompt', e.target.value)} />}
            </Field>
            <Field label="Negative prompt">
              {(id) => <input id={id} maxLength={500} value={form.negativePrompt} onChange={(e) => set('negativePrompt', e.target.value)} />}
            </Field>
            <div className="inline">
              <Field label="Resolution">
                {(id) => (
                  <select id={id} value={form.resolution} onChange={(e) => set('resolution', e.target.value as Form['resolution'])}>
                    <option>720P</option>
                    <option>1080P</option>
                  </select>
                )}
              </Field>
              <Field label="Duration (s)">
                {(id) => (
                  <input
                    id={id}
                    type="number"
                    min={2}
                    max={15}
                    value={form.duration}
                    disabled={form.model === 'wan2.7-videoedit'}
                    onChange={(e) => set('duration', Number(e.target.value))}
                  />
                )}
              </Field>
              <Field label="Ratio">
                {(id) => (
                  <select id={id} value={form.ratio} disabled={form.model === 'wan2.7-i2v'} onChange={(e) => set('ratio', e.target.value)}>
                    {RATIOS.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label="Seed">
                {(id) => <input id={id} type="number" min={0} max={2147483647} value={form.seed} onChange={(e) => set('seed', e.target.value)} />}
              </Field>
            </div>
            {form.model === 'wan2.7-i2v' ? (
              <>
                <Field label="First frame (image file)">
                  {(id) => <input id={id} type="file" accept="image/png,image/jpeg,image/webp,image/bmp" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
                </Field>
                {frame ? <img className="preview" src={frame} alt="The first frame picked" /> : null}
                <Field label="…or first frame URL">
                  {(id) => <input id={id} type="url" disabled={file !== null} value={form.frameUrl} onChange={(e) => set('frameUrl', e.target.value)} />}
                </Field>
              </>
            ) : null}
            {form.model === 'wan2.7-videoedit' ? (
              <Field label="Source video URL (MP4 or MOV)">
                {(id) => <input id={id} type="url" value={form.videoUrl} onChange={(e) => set('videoUrl', e.target.value)} />}
              </Field>
            ) : null}
            {form.model === 'wan2.7-r2v' || form.model === 'wan2.7-videoedit' ? (
              <Field label="Reference image URLs (one a line)">
                {(id) => <textarea id={id} rows={3} value={form.imageUrls} onChange={(e) => set('imageUrls', e.target.value)} />}
              </Field>
            ) : null}
            <div className="quote" aria-live="polite">
              {quote.data ? (
                <p data-testid="quote">
                  Price: <strong>{usd(quote.data.quota)}</strong> ({quote.data.quota.toLocaleString()} quota for {quote.data.seconds} s at {quote.data.resolution})
                </p>
              ) : quote.isFetching ? (
                <p>Pricing…</p>
              ) : null}
              <ErrorNote error={quote.error} />
            </div>
            <ErrorNote error={create.error} />
            <button type="submit" disabled={!quote.data || create.isPending}>
              Generate
            </button>
          </form>
        </Section>
        <Section title="Result">
          {video.data ? (
            <>
              <p>
                Task <Link href={`/tasks/${video.data.id}`} className="mono">{video.data.id}</Link>
              </p>
              <Progress video={video.data} via={via} />
              {video.data.error ? <p className="error">{video.data.error.message}</p> : null}
              <VideoPlayer video={video.data} />
            </>
          ) : (
            <p>Submit a request to see its progress and its video here.</p>
          )}
          <ErrorNote error={video.error} />
        </Section>
      </div>
    </>
  );
}
