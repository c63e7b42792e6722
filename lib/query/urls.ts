// Paths the client components navigate to, built in one place.

export function postPath(id: number): string {
  return `/posts/${id}`;
}

/** The sign-in page, bringing the reader back to `next` (a same-origin path) afterwards. */
export function signInPath(next: string): string {
  return `/sign-in?${new URLSearchParams({ next }).toString()}`;
}
