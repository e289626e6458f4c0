// Entry point of the post step.
import { runPost } from './post-main.js';

await runPost();
