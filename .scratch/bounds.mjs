function tap_range(k,s,p,inn,out){const a=p-k;const l=a<=0?0:Math.floor((a+s-1)/s);const b=inn-1+p-k;const h=b<0?0:Math.floor(b/s)+1;return [l,Math.min(h,out)];}
function check(N,H,W,C,OH,OW,K,FH,FW,sh,sw,pt,pl){
 let mx=-1,md=-1,mn=1e9; const C4=C&~3,K8=K&~7, xs=sw*C;
 for(let n=0;n<N;n++)for(let kh=0;kh<FH;kh++){const [oh0,oh1]=tap_range(kh,sh,pt,H,OH); if(oh0>=oh1)continue;
 for(let kw=0;kw<FW;kw++){const [ow0,ow1]=tap_range(kw,sw,pl,W,OW); if(ow0>=ow1)continue;
  const xb=n*H*W*C+((oh0*sh+kh-pt)*W+(ow0*sw+kw-pl))*C; const db=n*OH*OW*K+(oh0*OW+ow0)*K; const xrow=sh*W*C, drow=OW*K;
  for(let r=0;r<oh1-oh0;r++)for(let q=0;q<ow1-ow0;q++){ for(let c=0;c<C;c++){const i=xb+r*xrow+c+q*xs; mx=Math.max(mx,i); mn=Math.min(mn,i);} const j=db+r*drow+q*K+K-1; md=Math.max(md,j);}
 }}
 console.log('x max',mx,'of',N*H*W*C,'min',mn,'dy max',md,'of',N*OH*OW*K);
}
check(3,9,7,8,5,7,8,3,3,2,1,1,1);
check(2,10,9,4,5,5,8,5,4,2,2,1,1);
